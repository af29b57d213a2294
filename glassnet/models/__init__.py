"""glassnet.models: ``Sequential``, ``Model``, ``load_model`` and Keras' architecture helpers.

>>> from glassnet.models import Sequential, Model, load_model, clone_model, model_from_json
"""

from glassnet.models.cloning import clone_model, model_from_json
from glassnet.models.model import Model
from glassnet.models.saving import load_model, save_model
from glassnet.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "save_model", "clone_model", "model_from_json"]
