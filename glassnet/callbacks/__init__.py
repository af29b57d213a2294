"""glassnet.callbacks: hooks into training, Keras-compatible.

>>> from glassnet.callbacks import Callback, History, EarlyStopping
>>> EarlyStopping(monitor='val_accuracy').mode
'max'
"""

from glassnet.callbacks.base import EVENTS, Callback, CallbackList, History
from glassnet.callbacks.checkpoint import ModelCheckpoint
from glassnet.callbacks.csv_logger import CSVLogger
from glassnet.callbacks.early_stopping import EarlyStopping
from glassnet.callbacks.ema import ExponentialMovingAverage
from glassnet.callbacks.lr import LearningRateScheduler, ReduceLROnPlateau
from glassnet.callbacks.misc import LambdaCallback, TerminateOnNaN
from glassnet.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "EVENTS", "EarlyStopping", "ModelCheckpoint",
           "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "LambdaCallback",
           "TensorBoard", "ExponentialMovingAverage"]
