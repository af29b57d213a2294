"""glassnet.serve: a trained model behind HTTP, with a browser demo.

``create_app(model)`` gives a FastAPI app (``POST /predict``, ``POST /explain``, ``GET /health``,
``GET /metadata``, the demo page at ``/``); ``glassnet serve RUN_DIR`` runs it with uvicorn on
127.0.0.1. See :mod:`glassnet.serve.app`.

>>> from glassnet.serve import ServeConfig
>>> ServeConfig().max_batch_size
32
"""

from glassnet.serve.app import ServeConfig, create_app
from glassnet.serve.batching import MicroBatcher, QueueFullError
from glassnet.serve.server import BackgroundServer

__all__ = ["create_app", "ServeConfig", "MicroBatcher", "QueueFullError", "BackgroundServer"]
