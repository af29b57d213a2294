# Port of "Image classification from scratch" (keras-io example, Keras 3), by fchollet.
# Original: https://keras.io/examples/vision/image_classification_from_scratch/
#   (source: https://github.com/keras-team/keras-io/blob/master/examples/vision/image_classification_from_scratch.py,
#   Apache-2.0)
# Ported by changing the import lines only. Its input pipeline is tf.data (imported at the top), so without
# TensorFlow it stops there; the glassnet way is glassnet.datasets.image_dataset_from_directory.
import os
import numpy as np
import glassnet as keras
from glassnet import layers
from tensorflow import data as tf_data
import matplotlib.pyplot as plt

num_skipped = 0
for folder_name in ("Cat", "Dog"):
    folder_path = os.path.join("PetImages", folder_name)
    for fname in os.listdir(folder_path):
        fpath = os.path.join(folder_path, fname)
        try:
            fobj = open(fpath, "rb")
            is_jfif = b"JFIF" in fobj.peek(10)
        finally:
            fobj.close()
        if not is_jfif:
            num_skipped += 1
            os.remove(fpath)
print(f"Deleted {num_skipped} images.")
