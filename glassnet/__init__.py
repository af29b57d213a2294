"""glassnet: the Keras programming model on PyTorch, with glass-box tools.

>>> import glassnet
>>> glassnet.__version__
'0.1.0'
"""

__version__ = "0.1.0"

from glassnet.allocator import tune_malloc  # noqa: E402

tune_malloc()  # see glassnet/allocator.py; opt out with GLASSNET_MALLOC_TUNING=0

from glassnet import config  # noqa: E402
from glassnet.layers import Input  # noqa: E402
from glassnet.models import Model, Sequential, load_model  # noqa: E402
from glassnet.training.plain import fit  # noqa: E402

__all__ = ["__version__", "config", "Input", "Model", "Sequential", "load_model", "fit"]
