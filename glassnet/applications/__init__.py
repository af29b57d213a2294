"""glassnet.applications: classic CNNs with Keras' builders, exact parameter counts and pretrained weights.

>>> from glassnet.applications import VGG16, list_models
>>> model = VGG16(weights=None, include_top=False, pooling='avg')  # doctest: +SKIP
"""

from glassnet.applications.registry import (ModelInfo, WeightSpec, create_model, get_model_info, list_models,
                                            model_names)
from glassnet.applications.imagenet import decode_predictions, preprocess_input
from glassnet.applications.lenet import LeNet5
from glassnet.applications.alexnet import AlexNet
from glassnet.applications.googlenet import GoogLeNet
from glassnet.applications.vgg import VGG16, VGG19
from glassnet.applications.resnet import ResNet18, ResNet34, ResNet50, ResNet101, ResNet152
from glassnet.applications.xception import Xception
from glassnet.applications.inception_v3 import InceptionV3
from glassnet.applications.inception_resnet_v2 import InceptionResNetV2
from glassnet.applications.mobilenet import MobileNet
from glassnet.applications.mobilenet_v2 import MobileNetV2
from glassnet.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from glassnet.applications.resnet_cifar import ResNet20, ResNet32, ResNet56

__all__ = ["LeNet5", "AlexNet", "GoogLeNet", "VGG16", "VGG19", "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152", "Xception", "InceptionV3", "InceptionResNetV2", "MobileNet", "MobileNetV2", "DenseNet121", "DenseNet169", "DenseNet201",
           "ResNet20", "ResNet32", "ResNet56",
           "list_models", "preprocess_input", "decode_predictions", "model_names", "get_model_info", "create_model", "ModelInfo", "WeightSpec"]
