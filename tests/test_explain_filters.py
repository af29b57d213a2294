"""What a convnet learned: first-layer filters, feature maps (against a truncated model), and the images that
excite a unit most (against numpy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from glassnet.applications import MobileNet
from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.explain import feature_maps, max_activations, show_filters
from glassnet.explain.filters import first_conv
from glassnet.layers import Conv2D, Dense, Flatten, GlobalAveragePooling2D, Input, MaxPooling2D
from glassnet.models import Model, Sequential


def convnet():
    return Sequential([Input(shape=(16, 16, 3)), Conv2D(6, 3, activation="relu", name="c1"), MaxPooling2D(2),
                       Conv2D(5, 3, activation="relu", name="c2"), Flatten(), Dense(2)])


def test_first_conv_of_every_kind_of_model():
    assert first_conv(convnet())[0] == "c1"
    zoo = MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(32, 32, 3))
    assert first_conv(zoo)[1] is zoo.conv1
    inputs = Input(shape=(32, 32, 3))
    nested = Model(inputs, Dense(2)(GlobalAveragePooling2D()(zoo(inputs))))
    assert first_conv(nested)[1] is zoo.conv1
    with pytest.raises(ShapeError, match="no convolution layer"):
        first_conv(Sequential([Input(shape=(4,)), Dense(2)]))


def test_show_filters_draws_one_tile_per_kernel(tmp_path):
    net = convnet()
    path = show_filters(net, path=tmp_path / "filters.png")
    with Image.open(path) as img:
        assert img.size[0] > 400  # 6 tiles across
    show_filters(net, layer="c2", path=tmp_path / "c2.png")  # 6 input channels: drawn as their mean
    with pytest.raises(ShapeError, match="not a convolution"):
        show_filters(net, layer=net.layers[-1], path=tmp_path / "x.png")


def test_feature_maps_equal_the_truncated_model(tmp_path):
    net = convnet()
    image = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
    maps = feature_maps(net, image, path=tmp_path / "maps.png")
    assert list(maps) == ["c1", "c2"] and (tmp_path / "maps.png").exists()
    net.eval()
    with torch.no_grad():
        first = net.get_layer("c1").output  # symbolic: build a real sub-model up to c1
        sub = Model(net.input, first)
        expected = sub(torch.from_numpy(image[None]))[0].numpy()
    np.testing.assert_allclose(maps["c1"], expected, rtol=1e-5, atol=1e-6)
    assert maps["c2"].shape == (5, 5, 5)
    with pytest.raises(ShapeError, match="does not output a feature map"):
        feature_maps(net, image, layers=[net.layers[-1]])


def test_max_activations_are_the_highest_responses():
    net = convnet()
    data = np.random.default_rng(1).random((40, 16, 16, 3), dtype=np.float32)
    order, values = max_activations(net, data, "c2", unit=3, k=5, batch_size=16)
    net.eval()
    with torch.no_grad():
        sub = Model(net.input, net.get_layer("c2").output)
        responses = sub(torch.from_numpy(data))[..., 3].amax((1, 2)).numpy()
    np.testing.assert_array_equal(order, np.argsort(-responses, kind="stable")[:5])
    np.testing.assert_allclose(values, responses[order], rtol=1e-5)
    with pytest.raises(InvalidArgumentError, match="unit=9 but layer 'c2' has 5 units"):
        max_activations(net, data, "c2", unit=9)


def test_max_activations_picture(tmp_path):
    net = convnet()
    data = np.random.default_rng(1).integers(0, 255, (12, 16, 16, 3), dtype=np.uint8)
    max_activations(net, data, "c1", unit=0, k=4, path=tmp_path / "max.png")
    assert (tmp_path / "max.png").stat().st_size > 1000
