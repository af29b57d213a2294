"""glassnet.unsupervised: autoencoders (dense, convolutional, denoising, sparse, contractive,
variational, stacked) and anomaly detection by reconstruction error.

>>> from glassnet.unsupervised import dense_autoencoder
>>> dense_autoencoder((784,), code_size=16).encoder.name
'encoder'
"""

from glassnet.unsupervised.anomaly import detection_auc, pca_reconstruction_errors, reconstruction_errors
from glassnet.unsupervised.autoencoders import conv_autoencoder, dense_autoencoder
from glassnet.unsupervised.contractive import ContractiveAutoencoder, contractive_penalty
from glassnet.unsupervised.plots import plot_image_grid, plot_latent_space, plot_reconstructions
from glassnet.unsupervised.sparse import KLSparsity
from glassnet.unsupervised.stacked import pretrain_layerwise
from glassnet.unsupervised.vae import VAE, Sampling, kl_divergence, variational_autoencoder

__all__ = ["dense_autoencoder", "conv_autoencoder", "ContractiveAutoencoder", "contractive_penalty",
           "KLSparsity", "VAE", "Sampling", "kl_divergence", "variational_autoencoder",
           "pretrain_layerwise", "reconstruction_errors", "pca_reconstruction_errors", "detection_auc",
           "plot_reconstructions", "plot_latent_space", "plot_image_grid"]
