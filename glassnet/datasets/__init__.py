"""glassnet.datasets: built-in datasets, your own data, splits and on-device batch pipelines.

>>> from glassnet.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
"""

from glassnet.datasets import files, mnist

__all__ = ["files", "mnist"]
