"""glassnet.applications: classic CNNs with Keras' builders, exact parameter counts and pretrained weights.

Rules (documented in the README):

* **weights**: a model Keras has (VGG, ResNet50/101/152, Inception, Xception, MobileNet, MobileNetV2,
  DenseNet) defaults to ``weights='imagenet'`` as in Keras: the file is loaded, or downloaded, or the
  error says where to put it; never random weights in silence. Models Keras does not have (LeNet5,
  AlexNet, GoogLeNet, ResNet18/34, the CIFAR ResNets) default to ``weights=None``; their torchvision
  weights are asked for by name (``weights='torchvision'``).
* **variants**: a builder follows the library that defines it: Keras' variant where Keras has the
  model (ResNet50: conv biases, stride in the first 1x1), torchvision's where it does not (ResNet18/34).
* Keras' family modules exist with the same names: ``glassnet.applications.vgg16`` gives ``VGG16``,
  ``preprocess_input`` (the mode of the default weights) and ``decode_predictions``.

>>> from glassnet.applications import vgg16
>>> model = vgg16.VGG16(weights=None, include_top=False, pooling='avg')
>>> model.count_params()
14714688
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
# keras.applications.<family> modules (the builders, preprocess_input, decode_predictions)
from glassnet.applications import (densenet, imagenet_utils, inception_resnet_v2, inception_v3,  # noqa: F401
                                   mobilenet, mobilenet_v2, resnet, resnet50, vgg16, vgg19, xception)

__all__ = ["LeNet5", "AlexNet", "GoogLeNet", "VGG16", "VGG19", "ResNet18", "ResNet34", "ResNet50", "ResNet101",
           "ResNet152", "Xception", "InceptionV3", "InceptionResNetV2", "MobileNet", "MobileNetV2", "DenseNet121",
           "DenseNet169", "DenseNet201", "ResNet20", "ResNet32", "ResNet56",
           "list_models", "preprocess_input", "decode_predictions", "model_names", "get_model_info", "create_model",
           "ModelInfo", "WeightSpec",
           "densenet", "imagenet_utils", "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "resnet",
           "resnet50", "vgg16", "vgg19", "xception"]
