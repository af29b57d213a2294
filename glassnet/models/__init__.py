"""glassnet.models: ``Sequential``, ``Model`` and ``load_model``.

>>> from glassnet.models import Sequential, Model, load_model
"""

from glassnet.models.model import Model
from glassnet.models.saving import load_model
from glassnet.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
