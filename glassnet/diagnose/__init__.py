"""glassnet.diagnose: see inside training — the course's bias/variance recipe and a learning-rate finder."""

from glassnet.diagnose.bias_variance import BiasVariance, bias_variance
from glassnet.diagnose.lr_finder import LRFinderResult, lr_find
from glassnet.diagnose.monitor import Finding, Monitor

__all__ = ["BiasVariance", "bias_variance", "LRFinderResult", "lr_find", "Monitor", "Finding"]
