"""glassnet.explain attribution against captum's own results, integrated gradients' completeness,
occlusion on a linear model, the user's layout, and the model left exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import LayerAttribution, LayerGradCam, Saliency

from glassnet import config
from glassnet.applications import ResNet18
from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.explain import find_layer, grad_cam, integrated_gradients, occlusion, saliency
from glassnet.layers import (BatchNormalization, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, Input,
                             MaxPooling2D)
from glassnet.models import Model, Sequential

# random networks: some maps are empty, which grad_cam rightly warns about (tested below)
pytestmark = pytest.mark.filterwarnings("ignore:grad_cam. the map is zero")


def convnet(activation=None, data_format=None, flatten=True):
    kw = {"data_format": data_format} if data_format else {}
    shape = (12, 12, 3) if data_format != "channels_first" else (3, 12, 12)
    return Sequential([Input(shape=shape), Conv2D(6, 3, padding="same", activation="relu", name="c1", **kw),
                       BatchNormalization(axis=-1 if data_format != "channels_first" else 1, name="bn"),
                       Conv2D(8, 3, activation="relu", name="c2", **kw), MaxPooling2D(2, **kw),
                       Flatten() if flatten else GlobalAveragePooling2D(**kw),
                       Dropout(0.3), Dense(4, activation=activation, name="out")])


def images(n=5, shape=(12, 12, 3)):
    return np.random.default_rng(1).random((n, *shape), dtype=np.float32)


def test_grad_cam_equals_captum_layer_grad_cam_on_the_last_conv():
    net = convnet()
    x = images()
    target = [0, 1, 2, 3, 1]
    ours = grad_cam(net, x, target=target)
    xt = torch.from_numpy(x)
    net.eval()
    cam = LayerGradCam(net, net.get_layer("c2")).attribute(xt, target=torch.tensor(target), relu_attributions=True)
    expected = LayerAttribution.interpolate(cam, (12, 12), interpolate_mode="bilinear")[:, 0].detach().numpy()
    assert find_layer(net, x).name == "c2"  # the max pooling after it is stepped over
    assert ours.shape == (5, 12, 12) and ours.max() > 0
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7)


def test_grad_cam_explains_the_logits_behind_a_softmax():
    torch.manual_seed(0)
    plain = convnet()
    with_softmax = convnet(activation="softmax")
    with_softmax.load_state_dict(plain.state_dict())
    x = images()
    np.testing.assert_allclose(grad_cam(with_softmax, x), grad_cam(plain, x), rtol=1e-5, atol=1e-7)


def test_grad_cam_on_a_zoo_model_uses_forward_features():
    model = ResNet18(classes=3, classifier_activation=None)
    x = images(2, (32, 32, 3))
    ours = grad_cam(model, x, target=2)
    model.eval()
    cam = LayerGradCam(model, model.layer4).attribute(torch.from_numpy(x), target=2, relu_attributions=True)
    expected = LayerAttribution.interpolate(cam, (32, 32), interpolate_mode="bilinear")[:, 0].detach().numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)


def test_grad_cam_finds_a_zoo_model_used_as_a_layer():
    base = ResNet18(include_top=False, input_shape=(32, 32, 3), weights=None)
    inputs = Input(shape=(32, 32, 3))
    outputs = Dense(2)(GlobalAveragePooling2D()(base(inputs)))
    model = Model(inputs, outputs)
    spot = find_layer(model, images(1, (32, 32, 3)))
    assert spot.module is base  # the whole body: its output is the last feature map
    assert grad_cam(model, images(3, (32, 32, 3))).shape == (3, 32, 32)


def test_saliency_equals_captum_saliency_max_over_channels():
    net = convnet()
    x = images()
    ours = saliency(net, x, target=1)
    net.eval()
    grads = Saliency(net).attribute(torch.from_numpy(x).requires_grad_(), target=1, abs=True)
    np.testing.assert_allclose(ours, grads.amax(-1).numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(saliency(net, x, target=1, keep_channels=True), grads.numpy(), rtol=1e-6, atol=1e-9)


def test_integrated_gradients_completeness():
    net = convnet()
    x = images(4)
    maps = integrated_gradients(net, x, target=[0, 1, 2, 3], steps=200)
    net.eval()
    with torch.no_grad():
        gap = net(torch.from_numpy(x))[torch.arange(4), torch.arange(4)] - net(torch.zeros(4, 12, 12, 3))[0, :4]
    np.testing.assert_allclose(maps.reshape(4, -1).sum(1), gap.numpy(), atol=2e-3 * float(gap.abs().max()) + 1e-4)


def test_integrated_gradients_from_an_image_baseline():
    net = Sequential([Input(shape=(3, 3, 1)), Flatten(), Dense(2)])
    x, base = images(1, (3, 3, 1)), np.full((1, 3, 3, 1), 0.5, np.float32)
    w = net.layers[-1].weight.detach().numpy()  # Dense: (units, inputs) as in torch
    maps = integrated_gradients(net, x, target=1, baseline=base, steps=10)
    np.testing.assert_allclose(maps[0], (w[1].reshape(3, 3) * (x - base)[0, ..., 0]), rtol=1e-5, atol=1e-6)


def test_occlusion_of_a_linear_model_is_weight_times_pixel():
    net = Sequential([Input(shape=(4, 4, 1)), Flatten(), Dense(3)])
    x = images(2, (4, 4, 1))
    maps = occlusion(net, x, target=2, window=1, stride=1)
    w = net.layers[-1].weight.detach().numpy()[2].reshape(4, 4)
    np.testing.assert_allclose(maps, w * x[..., 0], rtol=1e-5, atol=1e-6)


def _state(model):
    return ({n: m.training for n, m in model.named_modules()},
            {k: v.clone() for k, v in model.state_dict().items()},
            {n: (p.requires_grad, p.grad) for n, p in model.named_parameters()})


@pytest.mark.parametrize("explainer", [grad_cam, saliency, integrated_gradients, occlusion])
def test_explainers_leave_the_model_as_it_was(explainer):
    net = convnet()
    net.get_layer("c1").weight.requires_grad_(False)
    net.train()
    net.get_layer("bn").eval()
    training, tensors, grads = _state(net)
    explainer(net, images(3))
    after_training, after_tensors, after_grads = _state(net)
    assert after_training == training
    assert all(torch.equal(tensors[k], after_tensors[k]) for k in tensors)  # BN statistics included
    assert after_grads == grads  # requires_grad as it was, no .grad left behind


def test_maps_in_the_channels_first_layout():
    torch.manual_seed(0)
    last = convnet(flatten=False)  # Flatten orders features by layout; global pooling does not
    config.set_image_data_format("channels_first")
    try:
        first = convnet(data_format="channels_first", flatten=False)
        first.load_state_dict(last.state_dict())
        x = images()
        x_first = x.transpose(0, 3, 1, 2).copy()
        np.testing.assert_allclose(grad_cam(first, x_first, target=1), grad_cam(last, x, target=1), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(saliency(first, x_first, target=1, keep_channels=True),
                                   saliency(last, x, target=1, keep_channels=True).transpose(0, 3, 1, 2), rtol=1e-4,
                                   atol=1e-7)
    finally:
        config.set_image_data_format("channels_last")


def test_grad_cam_on_a_model_without_feature_maps_says_what_to_use():
    mlp = Sequential([Input(shape=(4, 4, 1)), Flatten(), Dense(2)])
    with pytest.raises(ShapeError, match=r"no layer.*image-shaped.*saliency\(\)"):
        grad_cam(mlp, images(1, (4, 4, 1)))


def test_bad_target_and_layer_are_explained():
    net = convnet()
    with pytest.raises(InvalidArgumentError, match=r"target has shape \(2,\) for 5 images"):
        saliency(net, images(), target=[0, 1])
    with pytest.raises(InvalidArgumentError, match=r"no layer named 'conv9'.*c1"):
        grad_cam(net, images(), layer="conv9")
    with pytest.raises(ShapeError, match=r"expected images of shape \(N, H, W, C\)"):
        saliency(net, np.zeros((12, 12)))


def test_an_all_zero_grad_cam_says_why_and_what_to_try():
    net = Sequential([Input(shape=(6, 6, 1)), Conv2D(1, 1, use_bias=False, name="c"), Flatten(), Dense(1)])
    with torch.no_grad():
        net.get_layer("c").weight.fill_(1.0)
        net.layers[-1].weight.fill_(-1.0)  # every position counts against the only class
    with pytest.warns(UserWarning, match=r"zero for 2 of 2 images.*Flatten \+ Dense.*saliency\(\)"):
        maps = grad_cam(net, np.ones((2, 6, 6, 1), np.float32))
    assert maps.max() == 0
    assert grad_cam(net, np.ones((2, 6, 6, 1), np.float32), relu=False).min() < 0
