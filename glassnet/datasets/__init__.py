"""glassnet.datasets: built-in datasets, your own data, splits and on-device batch pipelines.

>>> from glassnet.datasets import mnist
>>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
>>> train, dev, test = split(x_train, y_train)  # doctest: +SKIP
"""

from glassnet.datasets import cifar10, cifar100, digits, fashion_mnist, files, lfw, mnist
from glassnet.datasets import airline_passengers, imdb, sentiment_sentences, shakespeare
from glassnet.datasets.arrays import from_arrays, from_csv, from_pandas
from glassnet.datasets.directory import image_dataset_from_directory
from glassnet.datasets.lfw import lfw_people
from glassnet.datasets.pipeline import Dataset, StreamingDataset, TensorDataset
from glassnet.datasets.show import show, show_augmentation
from glassnet.datasets.split import split
from glassnet.datasets.text import TextDataset, text_dataset_from_directory

__all__ = ["files", "mnist", "fashion_mnist", "cifar10", "cifar100", "digits", "lfw", "lfw_people", "split",
           "image_dataset_from_directory", "from_arrays", "from_csv", "from_pandas", "Dataset", "TensorDataset",
           "StreamingDataset", "show", "show_augmentation", "imdb", "sentiment_sentences", "shakespeare",
           "airline_passengers", "TextDataset", "text_dataset_from_directory"]
