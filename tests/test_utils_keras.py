"""keras.utils helpers: pad_sequences (Keras' rules) and the image helpers (round trips through Pillow)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as keras
from glassnet.utils import array_to_img, img_to_array, load_img, pad_sequences, save_img


@pytest.mark.parametrize("padding,truncating,expected", [
    ("pre", "pre", [[0, 0, 1], [3, 4, 5], [0, 0, 0]]),
    ("post", "pre", [[1, 0, 0], [3, 4, 5], [0, 0, 0]]),
    ("pre", "post", [[0, 0, 1], [2, 3, 4], [0, 0, 0]]),
])
def test_pad_sequences_follows_keras(padding, truncating, expected):
    out = pad_sequences([[1], [2, 3, 4, 5], []], maxlen=3, padding=padding, truncating=truncating)
    assert out.dtype == np.int32 and out.tolist() == expected


def test_pad_sequences_defaults_and_errors():
    assert pad_sequences([[1, 2], [3]]).tolist() == [[1, 2], [0, 3]]
    assert pad_sequences([[0.5]], maxlen=2, dtype="float32", value=-1).tolist() == [[-1.0, 0.5]]
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        pad_sequences([[1]], padding="middle")
    assert keras.utils.pad_sequences is pad_sequences


def test_image_helpers_round_trip(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype("float32")
    save_img(tmp_path / "x.png", pixels, scale=False)
    img = load_img(tmp_path / "x.png")
    assert img.size == (7, 5)
    np.testing.assert_array_equal(img_to_array(img), pixels)
    assert img_to_array(load_img(tmp_path / "x.png", color_mode="grayscale")).shape == (5, 7, 1)
    assert img_to_array(load_img(tmp_path / "x.png", target_size=(10, 14))).shape == (10, 14, 3)
    assert img_to_array(array_to_img(pixels), data_format="channels_first").shape == (3, 5, 7)
    with pytest.raises(ValueError, match="rank-3"):
        array_to_img(np.zeros((4, 4)))
