"""glassnet.diagnose: see inside training — the course's bias/variance recipe and a learning-rate finder."""

from glassnet.diagnose.lr_finder import LRFinderResult, lr_find

__all__ = ["LRFinderResult", "lr_find"]
