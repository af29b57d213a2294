"""The HTTP API: predictions equal the model's, images are preprocessed as in training, every hostile
input gets a clear 4xx and the server keeps answering, the queue is bounded, requests are batched."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import threading
import time
import zlib

import httpx
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from glassnet.cli.train import build_model, load_dataset
from glassnet.export.preprocessing import dataset_preprocessing
from glassnet.layers.base import Layer
from glassnet.serve import BackgroundServer, ServeConfig, create_app

LIMITS = ServeConfig(max_body_bytes=200_000, max_items=16, max_pixels=1_000_000)


@pytest.fixture(scope="module")
def convnet():
    torch.manual_seed(0)
    return build_model("cnn", (28, 28, 1), 10)


@pytest.fixture(scope="module")
def mnist_images(data_dir_module):
    _, (x_test, y_test), _ = load_dataset("mnist")
    return x_test[:8], y_test[:8]


@pytest.fixture(scope="module")
def data_dir_module():
    from conftest import require_data
    return require_data("mnist")


@pytest.fixture(scope="module")
def client(convnet):
    with TestClient(create_app(convnet, dataset_preprocessing(convnet, "mnist"), config=LIMITS)) as client:
        yield client


def _png(pixels: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _probabilities(answer: dict) -> list[np.ndarray]:
    rows = []
    for prediction in answer["predictions"]:
        row = np.zeros(10)
        for item in prediction["top_k"]:
            row[item["index"]] = item["probability"]
        rows.append(row)
    return rows


def test_json_batch_predictions_equal_model_predict(client, convnet, mnist_images):
    x, _ = mnist_images
    answer = client.post("/predict?top_k=10", json={"inputs": x.tolist()})
    assert answer.status_code == 200, answer.text
    np.testing.assert_allclose(np.stack(_probabilities(answer.json())), convnet.predict(x, verbose=0), atol=1e-5)
    top3 = client.post("/predict?top_k=3", json={"inputs": x[0].tolist()}).json()["predictions"]
    assert len(top3) == 1 and [t["label"] for t in top3[0]["top_k"]] == [
        str(i) for i in np.argsort(-convnet.predict(x[:1], verbose=0)[0])[:3]]


def test_uploaded_image_is_preprocessed_as_in_training(client, convnet, mnist_images):
    x, _ = mnist_images
    pixels = np.round(x[0, ..., 0] * 255).astype(np.uint8)
    expected = convnet.predict(x[:1], verbose=0)[0]
    as_file = client.post("/predict?top_k=10", files={"file": ("digit.png", _png(pixels), "image/png")})
    raw = client.post("/predict?top_k=10", content=_png(pixels), headers={"content-type": "image/png"})
    for answer in (as_file, raw):
        assert answer.status_code == 200, answer.text
        np.testing.assert_allclose(_probabilities(answer.json())[0], expected, atol=1e-5)
    # a bigger colour photo is made grayscale and resized (bilinear) to 28×28 as Pillow does
    big = np.repeat(np.kron(pixels, np.ones((3, 3), np.uint8))[..., None], 3, axis=-1)
    reference = np.asarray(Image.fromarray(big).convert("L").resize((28, 28), Image.Resampling.BILINEAR))
    expected = convnet.predict(reference[None, ..., None].astype("float32") / 255, verbose=0)[0]
    answer = client.post("/predict?top_k=10", files={"file": ("big.jpg", _png(big), "image/png")})
    np.testing.assert_allclose(_probabilities(answer.json())[0], expected, atol=1e-5)


def test_metadata_health_docs_and_an_offline_page(client):
    meta = client.get("/metadata").json()
    assert meta["input_shape"] == [28, 28, 1] and meta["classes"] == [str(i) for i in range(10)]
    assert meta["preprocessing"]["scale"] == pytest.approx(1 / 255)
    assert meta["preprocessing"]["color_mode"] == "grayscale"
    assert meta["versions"]["torch"] == torch.__version__ and meta["limits"]["max_items"] == 16
    assert meta["parameters"] == 50186  # the Keras MNIST convnet with padding="same"
    assert client.get("/health").json()["status"] == "ok"
    schema = client.get("/openapi.json").json()
    content = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "image/png"} <= set(content)
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "canvas" in page.text
    for asset in ("/", "/static/app.js", "/static/style.css"):  # nothing from another site: works offline
        text = client.get(asset).text
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width×height pixels (a decompression bomb's signature)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _json(text: str) -> dict:
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


HOSTILE = {
    "oversized body": (413, "over this server's limit", lambda x: {"content": b"0" * 300_000,
                                                                   "headers": {"content-type": "image/png"}}),
    "non-image bytes": (415, "not a readable image", lambda x: {"files": {"file": ("a.png", b"MZ\x90 not an image",
                                                                                   "image/png")}}),
    "empty file": (400, "empty", lambda x: {"files": {"file": ("a.png", b"", "image/png")}}),
    "decompression bomb": (413, "pixels", lambda x: {"files": {"file": ("b.png", _bomb_png(50_000, 50_000),
                                                                        "image/png")}}),
    "image over max_pixels": (413, "1,000,000 pixels", lambda x: {"files": {"file": (
        "b.png", _bomb_png(2000, 1000), "image/png")}}),
    "wrong shape": (422, "shape [1, 28, 28]", lambda x: {"json": {"inputs": x[:1, ..., 0].tolist()}}),
    "strings": (422, "rectangular array of numbers", lambda x: {"json": {"inputs": [["a"] * 28] * 28}}),
    "ragged rows": (422, "rectangular", lambda x: {"json": {"inputs": [[[0.0]] * 28, [[0.0]] * 27]}}),
    "null": (422, "has shape []", lambda x: {"json": {"inputs": None}}),
    "NaN": (422, "NaN", lambda x: _json('{"inputs": [' + json.dumps(x[0].tolist()).replace("0.0", "NaN", 1) + "]}")),
    "Infinity": (422, "infinite", lambda x: _json('{"inputs": [' + json.dumps(x[0].tolist()).replace("0.0", "1e999", 1)
                                                  + "]}")),
    "empty batch": (422, "empty", lambda x: {"json": {"inputs": []}}),
    "huge batch": (413, "at most 16", lambda x: {"json": {"inputs": np.zeros((17, 28, 28, 1)).tolist()}}),
    "not JSON": (400, "not valid JSON", lambda x: _json("{inputs: oops")),
    "deeply nested JSON": (400, "not valid JSON", lambda x: _json("[" * 100_000 + "]" * 100_000)),
    "no inputs key": (422, '"inputs" array', lambda x: {"json": {"instances": []}}),
    "a JSON list": (422, '"inputs" array', lambda x: {"json": [1, 2]}),
    "text/plain": (415, "Content-Type text/plain", lambda x: {"content": b"7",
                                                              "headers": {"content-type": "text/plain"}}),
    "multipart without file": (422, "no file field", lambda x: {"data": {"name": "x"},
                                                                "files": {"other": ("a", b"1")}}),
    "malformed multipart": (422, "no file field", lambda x: {
        "content": b"--zz\r\ngarbage", "headers": {"content-type": "multipart/form-data; boundary=zz"}}),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_gets_a_clear_4xx_and_the_server_goes_on(client, mnist_images, case):
    status, words, request = HOSTILE[case]
    x, _ = mnist_images
    answer = client.post("/predict", **request(x))
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]
    assert client.post("/predict", json={"inputs": x[:1].tolist()}).status_code == 200
    assert client.get("/health").json()["status"] == "ok"


def test_bad_query_and_paths_are_refused(client, mnist_images):
    x, _ = mnist_images
    assert client.post("/predict?top_k=0", json={"inputs": x[:1].tolist()}).status_code == 422
    assert client.post("/predict?top_k=lots", json={"inputs": x[:1].tolist()}).status_code == 422
    assert client.get("/static/../../../../etc/passwd").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404
    assert client.post("/explain?target=10", files={"file": ("d.png", _png(np.zeros((28, 28), np.uint8)),
                                                             "image/png")}).status_code == 422


def test_a_streamed_body_over_the_limit_is_cut_off_on_a_real_server(convnet, mnist_images):
    """Without a Content-Length (chunked), the body is counted as it arrives and refused at the limit."""
    x, _ = mnist_images
    app = create_app(convnet, dataset_preprocessing(convnet, "mnist"), config=LIMITS)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        chunks = (b"[" * 50_000 for _ in range(10))  # 500 kB, no Content-Length
        answer = http.post("/predict", content=chunks, headers={"content-type": "application/json"})
        assert answer.status_code == 413 and "limit" in answer.json()["detail"]
        assert http.post("/predict", json={"inputs": x[:1].tolist()}).status_code == 200


def test_explain_returns_a_grad_cam_png(client, mnist_images):
    x, _ = mnist_images
    pixels = np.round(x[0, ..., 0] * 255).astype(np.uint8)
    answer = client.post("/explain", files={"file": ("digit.png", _png(pixels), "image/png")})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(answer.content))
    assert picture.size == (224, 224) and picture.mode == "RGB"
    assert answer.headers["x-class"] in [str(i) for i in range(10)]
    two = client.post("/explain", json={"inputs": x[:2].tolist()})
    assert two.status_code == 422 and "one image" in two.json()["detail"]


def test_explain_is_off_with_a_reason_for_a_model_without_convolutions():
    model = build_model("mlp", (8, 8, 1), 10)
    with TestClient(create_app(model)) as mlp_client:
        meta = mlp_client.get("/metadata").json()
        answer = mlp_client.post("/explain", json={"inputs": np.zeros((8, 8, 1)).tolist()})
    assert meta["explain"] is False and "convolutional layer" in meta["explain_off_because"]
    assert answer.status_code == 422 and "convolutional layer" in answer.json()["detail"]


class Slow(Layer):
    """Passes its input through after a pause: a model whose forward pass takes time."""

    def __init__(self, delay: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        self.delay = delay

    def call(self, inputs):
        time.sleep(self.delay)
        return inputs


def _slow_model(delay: float = 0.3):
    from glassnet.layers import Dense, Input
    from glassnet.models import Sequential
    slow = Slow(0.0)
    model = Sequential([Input((4,)), slow, Dense(3, activation="softmax")])
    slow.delay = delay  # slow from now on, not while the model builds itself
    return model


def _post_together(url: str, bodies: list[dict]) -> list[httpx.Response]:
    answers: list = [None] * len(bodies)

    def send(i):
        answers[i] = httpx.post(url + "/predict", json=bodies[i], timeout=60)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_a_full_queue_answers_503_and_the_server_recovers():
    app = create_app(_slow_model(delay=0.6), config=ServeConfig(max_queue=1, batching=False))
    with BackgroundServer(app) as server:
        answers = _post_together(server.url, [{"inputs": [[1.0, 2.0, 3.0, 4.0]]}] * 6)
        codes = sorted(a.status_code for a in answers)
        assert codes.count(503) >= 1 and codes.count(200) >= 2, codes
        busy = next(a for a in answers if a.status_code == 503)
        assert busy.headers["retry-after"] == "1" and "busy" in busy.json()["detail"]
        assert httpx.post(server.url + "/predict", json={"inputs": [[1, 2, 3, 4]]}).status_code == 200
        assert httpx.get(server.url + "/health").json()["queue"]["refused"] == codes.count(503)


@pytest.mark.parametrize("batching", [True, False])
def test_concurrent_requests_share_forward_passes_only_when_batching(batching):
    model = _slow_model()
    app = create_app(model, config=ServeConfig(batching=batching, max_wait_ms=50))
    rows = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    with BackgroundServer(app) as server:
        answers = _post_together(server.url, [{"inputs": [row.tolist()]} for row in rows])
        stats = httpx.get(server.url + "/health").json()["queue"]
    expected = model.predict(rows, verbose=0)
    for row, answer in zip(expected, answers):
        got = np.zeros(3)
        for item in answer.json()["predictions"][0]["top_k"]:
            got[item["index"]] = item["probability"]
        np.testing.assert_allclose(got, row, atol=1e-6)
    assert stats["samples"] == 8
    assert (stats["batches"] < 8) if batching else (stats["batches"] == 8)


@pytest.mark.parametrize("pad", [True, False])
def test_batches_are_padded_to_powers_of_two_and_the_padding_is_dropped(pad):
    from glassnet.serve import MicroBatcher
    seen = []

    def predict(batch):
        seen.append(len(batch))
        return batch.sum(axis=1, keepdims=True)

    async def send():
        batcher = MicroBatcher(predict, max_batch_size=8, max_wait_ms=50, pad=pad)
        await batcher.start()
        rows = await asyncio.gather(*(batcher.submit(np.full((1, 2), i, "float32")) for i in range(3)),
                                    batcher.submit(np.ones((2, 2), "float32")))
        await batcher.stop()
        return rows, batcher.stats()

    rows, stats = asyncio.run(send())
    assert [r.tolist() for r in rows] == [[[0.0]], [[2.0]], [[4.0]], [[2.0], [2.0]]]
    assert seen == ([8] if pad else [5])  # 5 rows: the model sees 8 (3 zero rows) only when padding
    assert stats["samples"] == 5 and stats["padded"] is pad
