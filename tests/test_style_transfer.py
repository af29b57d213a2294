"""Neural style transfer with the pretrained Keras MobileNet (alpha 0.25) features."""

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from glassnet.errors import InvalidArgumentError
from glassnet.generative.style_transfer import FeatureExtractor, gram_matrix, style_transfer, total_variation


def test_gram_matrix_and_total_variation_match_their_formulas():
    features = torch.randn(2, 3, 4, 5)
    flat = features.numpy().reshape(2, 3, 20)
    expected = np.einsum("nci,ndi->ncd", flat, flat) / 60
    np.testing.assert_allclose(gram_matrix(features).numpy(), expected, rtol=1e-5, atol=1e-6)
    image = torch.rand(1, 3, 6, 7)
    x = image.numpy()
    tv = np.abs(np.diff(x, axis=2)).mean() + np.abs(np.diff(x, axis=3)).mean()
    assert total_variation(image).item() == pytest.approx(tv, rel=1e-5)


def test_bad_inputs_are_explained():
    from glassnet.applications import MobileNet
    net = MobileNet(alpha=0.25, include_top=False, weights=None)
    with pytest.raises(InvalidArgumentError, match="no layer"):
        FeatureExtractor(net, ["blocks.99"])
    with pytest.raises(InvalidArgumentError, match="divide by 255"):
        style_transfer(np.full((8, 8, 3), 200.0), np.zeros((8, 8, 3)), steps=1)
    with pytest.raises(InvalidArgumentError, match="init"):
        style_transfer(np.zeros((8, 8, 3)), np.zeros((8, 8, 3)), steps=1, init="random")


def _photo(data_dir, name, size=64):
    image = Image.open(data_dir / "photos" / name).convert("RGB").resize((size, size))
    return np.asarray(image, np.float32) / 255


def _edges(image):
    grey = image.mean(-1)
    return np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1)).ravel()


@pytest.mark.slow
def test_both_losses_fall_and_the_content_structure_stays(data_dir):
    from conftest import require_data
    require_data("weights", "mobilenet_2_5_224_tf_no_top.h5")
    content = _photo(data_dir, "n01882714_koala.JPEG")
    style = _photo(data_dir, "n01531178_goldfinch.JPEG")
    result = style_transfer(content, style, steps=15, init=0.5, style_weight=1.0, optimizer="lbfgs")
    history = result.history
    assert history["content_loss"][-1] < 0.95 * history["content_loss"][0]
    assert history["style_loss"][-1] < 0.2 * history["style_loss"][0]
    assert result.image.shape == content.shape and 0 <= result.image.min() and result.image.max() <= 1
    out = _edges(result.image)
    assert np.corrcoef(out, _edges(content))[0, 1] > np.corrcoef(out, _edges(style))[0, 1] + 0.1
