"""Running an app with uvicorn in a background thread: for notebooks, tests and benchmarks.

>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> from glassnet.serve import create_app
>>> import httpx
>>> with BackgroundServer(create_app(Sequential([Input((3,)), Dense(2)]))) as server:
...     httpx.get(server.url + '/health').json()['status']
'ok'
"""

from __future__ import annotations

import threading
import time


class BackgroundServer:
    """Serve ``app`` on ``host``:``port`` (0: a free port) in a daemon thread; ``url`` once started.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                                    lifespan="on"))
        self.server.install_signal_handlers = lambda: None  # the main thread keeps its Ctrl-C
        self.thread = threading.Thread(target=self.server.run, name="glassnet-serve", daemon=True)
        self.url = ""

    def start(self, timeout: float = 30.0) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The server did not start (is the port in use?); see the log above.")
            time.sleep(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
