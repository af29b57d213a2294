"""The HTTP server: ``create_app(model)`` gives a FastAPI app answering predictions, with a demo page.

Endpoints: ``POST /predict`` (JSON ``{"inputs": [...]}``, an uploaded image as multipart ``file``, or raw
``image/*`` bytes; ``?top_k=``), ``POST /explain`` (an image → Grad-CAM overlay PNG), ``GET /health``,
``GET /metadata``, ``GET /`` (the browser demo), ``GET /docs`` (OpenAPI). Requests go through a bounded
micro-batching queue (503 when full); bodies over ``max_body_bytes`` get 413; anything malformed a 4xx
that says what to send. Nothing is loaded by a name the client gives; nothing is unpickled.

>>> from fastapi.testclient import TestClient
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> app = create_app(Sequential([Input((3,)), Dense(2, activation='softmax')]))
>>> with TestClient(app) as client:
...     answer = client.post('/predict', json={'inputs': [[1, 2, 3]]}).json()
>>> [item['label'] for item in answer['predictions'][0]['top_k']] in (['0', '1'], ['1', '0'])
True
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from glassnet.export.preprocessing import Preprocessing, for_model
from glassnet.serve.backends import make_backend
from glassnet.serve.batching import MicroBatcher, QueueFullError
from glassnet.serve.explain import explain_png, why_not_explainable
from glassnet.serve.inputs import RequestError, decode_image, parse_json_inputs
from glassnet.serve.limits import BodyLimit, BodyTooLarge

STATIC = Path(__file__).with_name("static")


@dataclass
class ServeConfig:
    """The server's knobs: batching, queue and request limits, and the default top-k.

    ``pad_batches`` pads every batch to the next power of two so that the model sees few batch shapes and
    memory stays bounded (see :mod:`glassnet.serve.batching`).
    """

    batching: bool = True
    pad_batches: bool = True
    max_batch_size: int = 32
    max_wait_ms: float = 5.0
    max_queue: int = 256
    max_body_bytes: int = 8 * 1024 * 1024
    max_items: int = 64
    max_pixels: int = 16_000_000
    max_decoding: int = 4
    top_k: int = 5


def create_app(model, preprocessing: Preprocessing | None = None, backend: str = "torch",
               onnx_path: str | Path | None = None, config: ServeConfig | None = None,
               title: str | None = None) -> FastAPI:
    """A FastAPI app serving ``model`` (a glassnet model) with ``backend`` 'torch' or 'onnx' (see module doc).

    ``preprocessing`` says how images become inputs and names the classes (default: the model's input
    shape, pixels / 255, classes '0', '1', ...).
    """
    config = config or ServeConfig()
    preprocessing = preprocessing or for_model(model)
    runner = make_backend(model, preprocessing, backend, onnx_path)
    batcher = MicroBatcher(runner.predict, config.max_batch_size, config.max_wait_ms, config.max_queue,
                           enabled=config.batching, pad=config.pad_batches)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.decoding = asyncio.Semaphore(config.max_decoding)  # made in the loop that serves
        await batcher.start()
        yield
        await batcher.stop()

    name = title or getattr(model, "name", "model")
    app = FastAPI(title=f"glassnet: {name}", lifespan=lifespan, version=_versions()["glassnet"],
                  description="Predictions from a glassnet model. Send an image file or a JSON array; see /metadata "
                              "for the input it expects.")
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.state.batcher, app.state.backend, app.state.model = batcher, runner, model
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _errors(app)
    integer = bool(getattr(model, "_integer_inputs", lambda: False)())
    no_explain = why_not_explainable(model, preprocessing)

    async def model_input(request: Request) -> np.ndarray:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        # parsing and decoding run in worker threads, a few at a time: a large image does not stall the other
        # requests, and many large images at once cannot take all the memory
        if kind == "application/json":
            async with request.app.state.decoding:
                return await run_in_threadpool(parse_json_inputs, body, preprocessing, config.max_items, integer)
        if kind == "multipart/form-data":
            body = await _uploaded_file(request, body, config.max_body_bytes)
        elif not (kind.startswith("image/") or kind == "application/octet-stream"):
            raise RequestError(f"Content-Type {kind or '(none)'} is not accepted: send application/json "
                               '({"inputs": [...]}), multipart/form-data with a "file" field, or image/png|jpeg '
                               "bytes.", 415)
        async with request.app.state.decoding:
            return await run_in_threadpool(decode_image, body, preprocessing, config.max_pixels)

    @app.post("/predict", openapi_extra=_BODY_DOC, summary="Top-k classes for an image or a JSON batch")
    async def predict(request: Request, top_k: int = Query(config.top_k, ge=1, le=1000)) -> dict:
        probabilities = await batcher.submit(await model_input(request))
        return {"predictions": [_top_k(row, preprocessing.class_names, top_k) for row in probabilities],
                "backend": runner.name}

    @app.post("/explain", openapi_extra=_BODY_DOC, response_class=Response,
              responses={200: {"content": {"image/png": {}}}},
              summary="Grad-CAM overlay (PNG) of an image; the class explained is in X-Class")
    async def explain(request: Request, target: int | None = Query(None, ge=0)) -> Response:
        if no_explain:
            raise RequestError(no_explain, 422)
        x = await model_input(request)
        if len(x) != 1:
            raise RequestError("/explain takes one image (or one sample); send one.", 422)
        if target is not None and target >= len(preprocessing.class_names or []):
            raise RequestError(f"target {target} is not a class index (0-{len(preprocessing.class_names) - 1}).")
        png, index, note = await batcher.run(explain_png, model, x, preprocessing, target)
        label = (preprocessing.class_names or [str(index)])[index]
        return Response(png, media_type="image/png", headers={
            "X-Class": label.encode("ascii", "replace").decode(), "X-Class-Index": str(index), "X-Note": note})

    @app.get("/health", summary="Liveness and queue statistics")
    async def health() -> dict:
        return {"status": "ok", "queue": batcher.stats()}

    @app.get("/metadata", summary="The model, the input it expects, the classes, versions and limits")
    async def metadata() -> dict:
        return {"model": name, "backend": runner.name, "input_shape": list(preprocessing.input_shape),
                "classes": preprocessing.class_names, "preprocessing": preprocessing.to_dict(),
                "parameters": int(sum(p.numel() for p in model.parameters())),
                "limits": asdict(config), "versions": _versions(), "explain": not no_explain,
                "explain_off_because": no_explain or None}

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    return app


async def _uploaded_file(request: Request, body: bytes, limit: int) -> bytes:
    """The bytes of the multipart field 'file' (the body is already read, within the limit)."""
    async def replay():
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=4, max_part_size=limit)
    except Exception:  # python-multipart's errors: a malformed body
        raise RequestError("The multipart body is malformed; send one image in a field named 'file'.", 400) from None
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise RequestError("The multipart body has no file field named 'file'; send the image as file=@photo.jpg.",
                           422)
    return await upload.read()


def _top_k(row: np.ndarray, names: list[str] | None, k: int) -> dict:
    order = np.argsort(-row)[:k]
    label = (lambda i: names[i]) if names and len(names) == len(row) else str
    return {"top_k": [{"label": label(int(i)), "index": int(i), "probability": float(row[i])} for i in order]}


def _errors(app: FastAPI) -> None:
    """Map refusals to their status codes; an unexpected failure is a 500 and the server goes on."""
    @app.exception_handler(RequestError)
    async def refused(request: Request, err: RequestError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=err.status)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, err: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=413)

    @app.exception_handler(QueueFullError)
    async def busy(request: Request, err: QueueFullError) -> JSONResponse:
        return JSONResponse({"detail": f"The server is busy: {err}."}, status_code=503, headers={"Retry-After": "1"})


def _versions() -> dict:
    import torch

    import glassnet
    return {"glassnet": glassnet.__version__, "torch": torch.__version__}


_BODY_DOC = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["inputs"], "properties": {
        "inputs": {"type": "array", "description": "One sample or a batch [N, ...] of preprocessed model inputs "
                                                   "(see /metadata input_shape)."}}}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": "An image (PNG, JPEG, ...)."}}}},
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}}
