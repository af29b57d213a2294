"""glassnet.callbacks: hooks into training, Keras-compatible.

>>> from glassnet.callbacks import Callback, History
"""

from glassnet.callbacks.base import EVENTS, Callback, CallbackList, History

__all__ = ["Callback", "CallbackList", "History", "EVENTS"]
