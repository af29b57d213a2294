"""glassnet.applications: every registered model builds, runs and has its published size; weight files
load strictly; the Keras and torchvision variants of one network differ only by their switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from glassnet import layout
from glassnet.applications import (AlexNet, GoogLeNet, InceptionV3, LeNet5, MobileNet, ResNet18, ResNet34, ResNet50,
                                   VGG16, decode_predictions, get_model_info, list_models, model_names,
                                   preprocess_input)
from glassnet.applications.zoo_cli import count_gflops, render_text
from glassnet.errors import DataFileError

# Keras' published table (the course's slide): include_top=True, 1000 classes, default input size
KERAS_COUNTS = {"Xception": 22_910_480, "VGG16": 138_357_544, "VGG19": 143_667_240, "ResNet50": 25_636_712,
                "InceptionV3": 23_851_784, "InceptionResNetV2": 55_873_736, "MobileNet": 4_253_864,
                "DenseNet121": 8_062_504, "DenseNet169": 14_307_880, "DenseNet201": 20_242_984}


def forward(model, x):
    """Run ``model`` on internal-layout (NCHW) ``x`` in inference mode."""
    model.eval()
    with torch.no_grad(), layout.internal_layout():
        return model(x)


@pytest.mark.parametrize("name", model_names())
def test_registered_model_builds_runs_and_matches_its_metadata(name):
    info = get_model_info(name)
    model = info.builder(weights=None)
    assert model.count_params() == info.params
    classes = 10 if info.family in ("lenet", "resnet_cifar") else 1000
    x = torch.rand(2, info.input_channels, info.test_size, info.test_size)
    out = forward(model, x)
    assert out.shape == (2, classes)
    assert torch.allclose(out.sum(1), torch.ones(2), atol=1e-4)  # softmax head
    # the timm contract: body, head, named first conv and classifier
    with torch.no_grad(), layout.internal_layout():
        features = model.forward_features(x)
        pooled = model.forward_head(features, pre_logits=True)
    assert features.dim() == 4 and pooled.shape[0] == 2
    first = model.get_submodule(model.first_conv)
    assert first.weight.shape[1] == info.input_channels
    assert model.get_classifier().weight.shape[0] == classes
    model.reset_classifier(5)
    assert forward(model, x).shape == (2, 5)
    # FLOPs on the meta device (the 5-way head changes them by far less than the tolerance)
    assert count_gflops(model, info.default_size, info.input_channels) == pytest.approx(info.gflops, rel=0.01)


@pytest.mark.parametrize("name, count", sorted(KERAS_COUNTS.items()))
def test_keras_table_counts_are_the_registered_ones(name, count):
    assert get_model_info(name).params == count  # the live count is checked against this above


def test_course_counts_and_variants():
    assert LeNet5().count_params() == 61_706
    assert AlexNet().count_params() == 60_965_224
    torchvision_resnet50 = ResNet50(weights=None, conv_bias=False, stride_in_1x1=False, bn_epsilon=1e-5)
    assert sum(p.numel() for p in torchvision_resnet50.parameters()) == 25_557_032  # torchvision's figure
    assert sum(p.numel() for p in GoogLeNet().parameters()) == 13_004_888  # "about 13.0M" with both auxiliaries
    assert sum(p.numel() for p in GoogLeNet(aux_logits=False).parameters()) == 6_624_904
    assert sum(p.numel() for p in InceptionV3(weights=None, bn_scale=True, aux_logits=True).parameters()) == 27_161_264


def test_include_top_false_pooling_and_input_shape():
    model = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(96, 96, 3), weights=None)
    assert model.count_params() == 218_544
    assert model(torch.rand(3, 96, 96, 3)).shape == (3, 256)  # user layout in, pooled features out
    fmap = MobileNet(alpha=0.25, include_top=False, weights=None)(torch.rand(1, 64, 64, 3))
    assert fmap.shape == (1, 2, 2, 256)  # channels-last feature map, like Keras
    with pytest.raises(ValueError, match="include_top=False"):
        model.reset_classifier(3)


def test_list_models_table_and_rows():
    table = list_models()
    assert [m.name for m in table] == model_names()
    text = render_text(table)
    assert "VGG16" in text and "138,357,544" in text and "0.715" in text
    vgg, resnet = get_model_info("VGG16"), get_model_info("ResNet50")
    assert (vgg.top1, vgg.top5, resnet.top1, resnet.top5) == (0.715, 0.901, 0.759, 0.929)
    assert vgg.preprocess == "caffe" and get_model_info("MobileNet").preprocess == "tf"
    assert {"imagenet", "torchvision"} <= set(resnet.weight_names)


def test_preprocess_modes_and_decode_predictions():
    x = np.full((1, 2, 2, 3), 255.0, dtype=np.float32)
    x[..., 0] = 0.0  # red channel 0
    assert preprocess_input(x, mode="tf")[0, 0, 0].tolist() == [-1.0, 1.0, 1.0]
    caffe = preprocess_input(x, mode="caffe")[0, 0, 0]  # BGR order, mean-subtracted
    assert np.allclose(caffe, [255 - 103.939, 255 - 116.779, 0 - 123.68])
    torch_mode = preprocess_input(torch.from_numpy(x), mode="torch")[0, 0, 0]
    assert torch.allclose(torch_mode, torch.tensor([(0 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225]))
    assert x[0, 0, 0, 0] == 0.0  # input untouched
    scores = np.zeros((2, 1000))
    scores[0, 1], scores[1, 999] = 1.0, 0.5
    top = decode_predictions(scores, top=2)
    assert top[0][0] == ("n01443537", "goldfish", 1.0) and top[1][0][:2] == ("n15075141", "toilet_tissue")


def test_photo_labels_match_the_shipped_class_index(data_dir):
    from glassnet.applications.imagenet import class_index
    index = class_index()
    rows = [line.split("\t") for line in (data_dir / "photos" / "labels.txt").read_text().splitlines()
            if not line.startswith("#")]
    assert len(rows) == 34
    for _, wnid, idx, _ in rows:
        assert index[int(idx)][0] == wnid


# ---------------------------------------------------------------------------- torchvision state dicts
class TVBasicBlock(nn.Module):
    """torchvision's BasicBlock, written with plain torch.nn (torchvision is not installable here)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class TVResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, cout in enumerate((64, 128, 256, 512), start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", nn.Sequential(TVBasicBlock(cin, cout, stride), TVBasicBlock(cout, cout, 1)))
            cin = cout
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TVVGG16(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096),
                                        nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class TVBottleneck(nn.Module):
    """A ResNet bottleneck in plain torch.nn: torchvision's (stride in the 3x3, no conv bias) by default;
    ``stride_in_1x1=True, bias=True`` is Keras' ResNet50 block (``Conv2D(filters, 1, strides=stride)`` first)."""

    def __init__(self, cin, width, stride, stride_in_1x1=False, bias=False, eps=1e-5):
        super().__init__()
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = nn.Conv2d(cin, width, 1, s1, bias=bias)
        self.bn1 = nn.BatchNorm2d(width, eps)
        self.conv2 = nn.Conv2d(width, width, 3, s3, 1, bias=bias)
        self.bn2 = nn.BatchNorm2d(width, eps)
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=bias)
        self.bn3 = nn.BatchNorm2d(width * 4, eps)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or cin != width * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, width * 4, 1, stride, bias=bias),
                                            nn.BatchNorm2d(width * 4, eps))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class TVResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (count, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=1):
            blocks = [TVBottleneck(cin, width, 1 if i == 1 else 2)]
            blocks += [TVBottleneck(width * 4, width, 1) for _ in range(count - 1)]
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
            cin = width * 4
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _randomize_bn(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)


TORCHVISION_VARIANT = dict(conv_bias=False, stride_in_1x1=False, bn_epsilon=1e-5)


@pytest.mark.parametrize("reference, builder, size, options", [(TVResNet18, ResNet18, 64, {}), (TVVGG16, VGG16, 32, {}),
                                                               (TVResNet50, ResNet50, 64, TORCHVISION_VARIANT)])
def test_torchvision_state_dict_loads_strictly_and_computes_the_same(tmp_path, reference, builder, size, options):
    ref = reference().eval()
    _randomize_bn(ref)
    path = tmp_path / "tv.pth"
    torch.save(ref.state_dict(), path)
    model = builder(weights=str(path), classifier_activation=None, **options)
    assert set(model.state_dict()) == set(ref.state_dict())
    x = torch.rand(2, 3, size, size)
    with torch.no_grad():
        expected = ref(x)
    assert torch.allclose(forward(model, x), expected, atol=1e-4, rtol=1e-4)
    # round trip: our state dict is a torchvision state dict
    again = reference()
    again.load_state_dict(model.state_dict(), strict=True)


@pytest.mark.parametrize("variant, stride_in_1x1, bias, eps", [
    ("torchvision", False, False, 1e-5), ("keras", True, True, 1.001e-5)])
def test_resnet50_bottleneck_strides_where_its_reference_does(variant, stride_in_1x1, bias, eps):
    options = TORCHVISION_VARIANT if variant == "torchvision" else {}
    block = ResNet50(weights=None, **options).layer2[0]  # 256 -> 512 channels, stride 2, projection shortcut
    ref = TVBottleneck(256, 128, 2, stride_in_1x1=stride_in_1x1, bias=bias, eps=eps).eval()
    _randomize_bn(ref)
    block.load_state_dict(ref.state_dict(), strict=True)
    x = torch.rand(2, 256, 16, 16)
    out = forward(block, x)
    assert out.shape == (2, 512, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(out, ref(x), atol=1e-4, rtol=1e-4)
        other = TVBottleneck(256, 128, 2, stride_in_1x1=not stride_in_1x1, bias=bias, eps=eps).eval()
        other.load_state_dict(ref.state_dict())
        assert not torch.allclose(other(x), out, atol=1e-2)  # the placement changes the result: the test can fail


def test_mismatched_weight_files_give_clear_errors(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(ResNet18().state_dict(), path)
    with pytest.raises(DataFileError, match=r"(?s)Missing \d+ tensor.*layer1\.2"):
        ResNet34(weights=str(path))
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataFileError, match="truncated or corrupt"):
        ResNet18(weights=str(truncated))
    model = ResNet18(weights=str(path), include_top=False)  # the classifier is dropped for a backbone
    assert model.count_params() == 11_699_112 - 513_000


def test_safetensors_round_trip(tmp_path):
    from safetensors.torch import save_file
    model = ResNet18(classes=7)
    path = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    loaded = ResNet18(classes=7, weights=str(path))
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(forward(model, x), forward(loaded, x))


def test_imagenet_weights_offline_error_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataFileError) as err:
        ResNet18(weights="torchvision")
    message = str(err.value)
    assert "resnet18-f37072fd.pth" in message and str(tmp_path / "weights") in message
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message


def test_saved_model_config_rebuilds_the_architecture():
    model = ResNet18(classes=3, conv_bias=True)
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.count_params() == model.count_params()
    assert clone.fc.weight.shape == (3, 512)
