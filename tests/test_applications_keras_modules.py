"""Keras' application paths (``keras.applications.vgg16.VGG16``...) and the ``weights=`` default rule:
models Keras has default to 'imagenet' (loaded, or a clear error offline: never silently random),
the others to None."""

from __future__ import annotations

import importlib
import inspect
import urllib.request

import numpy as np
import pytest
import torch

import glassnet
from glassnet.applications import get_model_info, imagenet, model_names
from glassnet.errors import DataFileError

# keras.applications.<module>: its builders and the preprocessing mode of their default weights
KERAS_MODULES = {
    "vgg16": (["VGG16"], "caffe"),
    "vgg19": (["VGG19"], "caffe"),
    "resnet50": (["ResNet50"], "caffe"),
    "resnet": (["ResNet50", "ResNet101", "ResNet152"], "caffe"),
    "inception_v3": (["InceptionV3"], "tf"),
    "inception_resnet_v2": (["InceptionResNetV2"], "tf"),
    "xception": (["Xception"], "tf"),
    "mobilenet": (["MobileNet"], "tf"),
    "mobilenet_v2": (["MobileNetV2"], "torch"),  # our 'imagenet' file is torchvision's (Keras: 'tf')
    "densenet": (["DenseNet121", "DenseNet169", "DenseNet201"], "torch"),
}
KERAS_MODELS = sorted({name for names, _ in KERAS_MODULES.values() for name in names})


@pytest.mark.parametrize("module_name", sorted(KERAS_MODULES))
def test_keras_family_module_exposes_builders_preprocess_and_decode(module_name):
    names, mode = KERAS_MODULES[module_name]
    module = importlib.import_module(f"glassnet.applications.{module_name}")
    assert getattr(glassnet.applications, module_name) is module  # `keras.applications.vgg16` without an import
    for name in names:
        assert getattr(module, name) is get_model_info(name).builder
    images = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(module.preprocess_input(images), imagenet.preprocess_input(images, mode=mode))
    assert module.preprocess_input(images, data_format="channels_last").shape == (2, 4, 4, 3)
    assert module.decode_predictions is imagenet.decode_predictions
    assert {*names, "preprocess_input", "decode_predictions"} <= set(module.__all__)


def test_family_preprocess_follows_the_registered_weights_mode():
    for names, mode in KERAS_MODULES.values():
        assert {get_model_info(name).preprocess for name in names} == {mode}


def test_imagenet_utils_is_keras_generic_preprocessing():
    from glassnet.applications.imagenet_utils import decode_predictions, preprocess_input
    x = np.zeros((1, 1, 1, 3), dtype=np.float32)
    assert preprocess_input(x)[0, 0, 0].tolist() == pytest.approx([-103.939, -116.779, -123.68])  # 'caffe'
    assert preprocess_input(x, mode="tf")[0, 0, 0].tolist() == [-1.0, -1.0, -1.0]
    assert decode_predictions is imagenet.decode_predictions


@pytest.mark.parametrize("name", model_names())
def test_weights_default_is_imagenet_exactly_for_the_models_keras_has(name):
    info = get_model_info(name)
    default = inspect.signature(info.builder).parameters["weights"].default
    expected = "imagenet" if name in KERAS_MODELS else None
    assert default == expected
    assert ("imagenet" in info.weight_names) == (name in KERAS_MODELS)  # every default names a real weight set


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty data folder and no network."""
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))

    def unreachable(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    return tmp_path


@pytest.mark.parametrize("builder, filename", [
    ("MobileNet", "mobilenet_1_0_224_tf.h5"),
    ("MobileNetV2", "mobilenet_v2-b0353104.pth"),
])
def test_default_weights_offline_raise_a_clear_error_never_random(offline, builder, filename):
    with pytest.raises(DataFileError) as err:
        get_model_info(builder).builder()
    message = str(err.value)
    assert filename in message and str(offline / "weights") in message
    assert "weights=None" in message  # the way to ask for random weights


def test_mobilenet_imagenet_picks_the_file_of_its_alpha(offline):
    with pytest.raises(DataFileError, match="mobilenet_5_0_224_tf_no_top.h5"):
        glassnet.applications.MobileNet(alpha=0.5, include_top=False)
    with pytest.raises(ValueError, match=r"alpha=0.35.*alpha=0.25"):
        glassnet.applications.MobileNet(alpha=0.35)
    with pytest.raises(ValueError, match="depth_multiplier=2"):
        glassnet.applications.MobileNet(alpha=0.25, depth_multiplier=2)
    model = glassnet.applications.MobileNet(alpha=0.35, weights=None)  # any alpha with random weights
    assert model.conv1.weight.shape[0] == int(32 * 0.35)


def test_resnet_variant_rule_keras_builders_keras_variant_others_torchvision():
    from glassnet.applications import ResNet18, ResNet50
    resnet18, resnet50 = ResNet18(), ResNet50(weights=None)
    assert resnet18.conv1.bias is None and resnet18.bn1.epsilon == 1e-5  # torchvision's ResNet18
    assert resnet50.conv1.bias is not None and resnet50.bn1.epsilon == 1.001e-5  # Keras' ResNet50
    block = resnet50.layer2[0]
    assert (block.conv1.strides, block.conv2.strides) == ((2, 2), (1, 1))  # Keras strides in the 1x1
    assert inspect.signature(ResNet18).parameters["weights"].default is None


def test_auxiliary_classifiers_have_distinct_class_names_and_unchanged_keys():
    from glassnet.applications import GoogLeNet, InceptionV3
    from glassnet.applications.googlenet import GoogLeNetAux
    from glassnet.applications.inception_v3 import InceptionV3Aux
    googlenet = GoogLeNet(classes=10)
    inception = InceptionV3(weights=None, classes=10, aux_logits=True)
    assert isinstance(googlenet.aux1, GoogLeNetAux) and isinstance(inception.AuxLogits, InceptionV3Aux)
    assert GoogLeNetAux.__name__ != InceptionV3Aux.__name__
    assert {"aux1.conv.conv.weight", "aux1.fc1.weight", "aux2.fc2.bias"} <= set(googlenet.state_dict())
    assert {"AuxLogits.conv0.conv.weight", "AuxLogits.conv1.conv.weight", "AuxLogits.fc.weight"} <= set(
        inception.state_dict())
    assert torch.is_tensor(inception.AuxLogits.fc.weight)
