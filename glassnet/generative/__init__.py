"""glassnet.generative: GANs (DCGAN builders, a conditional GAN, sample grids, a classifier score)
and neural style transfer.

>>> from glassnet.generative import GAN, dcgan_generator
>>> dcgan_generator(8, (28, 28, 1), width=4).name
'generator'
"""

from glassnet.generative.dcgan import dcgan_discriminator, dcgan_generator
from glassnet.generative.gan import GAN, ConditionalGAN
from glassnet.generative.quality import ClassifierScore, classifier_score, score_from_probabilities
from glassnet.generative.samples import GANSampleGrid, image_grid, save_image_grid
from glassnet.generative.style_transfer import (FeatureExtractor, StyleTransferResult, gram_matrix, style_transfer,
                                                total_variation)

__all__ = ["GAN", "ConditionalGAN", "dcgan_generator", "dcgan_discriminator", "GANSampleGrid", "image_grid",
           "save_image_grid", "ClassifierScore", "classifier_score", "score_from_probabilities", "style_transfer",
           "StyleTransferResult", "FeatureExtractor", "gram_matrix", "total_variation"]
