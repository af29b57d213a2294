"""glassnet.datasets: built-in datasets, your own data, splits and on-device batch pipelines.

>>> from glassnet.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
"""

from glassnet.datasets import cifar10, cifar100, digits, fashion_mnist, files, lfw, mnist
from glassnet.datasets.lfw import lfw_people
from glassnet.datasets.split import split

__all__ = ["files", "mnist", "fashion_mnist", "cifar10", "cifar100", "digits", "lfw", "lfw_people", "split"]
