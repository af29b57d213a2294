"""A request body limit enforced while the body arrives (a declared Content-Length over the limit is
refused before reading; a chunked body is counted as it streams and refused when it passes the limit).

>>> from fastapi import FastAPI, Request
>>> from fastapi.testclient import TestClient
>>> app = FastAPI()
>>> app.add_middleware(BodyLimit, max_bytes=10)
>>> @app.post('/echo')
... async def echo(request: Request) -> int:
...     return len(await request.body())
>>> TestClient(app).post('/echo', content=b'x' * 11).status_code
413
"""

from __future__ import annotations

import json


class BodyTooLarge(Exception):
    """The request body passed the server's limit (HTTP 413)."""


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, int(max_bytes)

    def _message(self) -> str:
        return (f"The request body is over this server's limit of {self.max_bytes:,} bytes; send a smaller image "
                "or fewer samples (the limit is set with --max-body-bytes).")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self._message())
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send) -> None:
        body = json.dumps({"detail": self._message()}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
