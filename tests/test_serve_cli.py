"""``glassnet serve RUN_DIR`` as a user runs it: a real process, a run folder, the onnx backend."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from glassnet.cli.serve import is_loopback
from glassnet.cli.train import build_model, load_dataset

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_glassnet_serve_a_run_folder_with_onnxruntime_and_a_warning_off_loopback(tmp_path):
    (x, y), (x_test, _), _ = load_dataset("digits")
    model = build_model("mlp", (8, 8, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=3, verbose=0)
    run = tmp_path / "runs" / "20260101-000000"
    run.mkdir(parents=True)
    model.save(run / "model.glassnet")
    (run / "metrics.json").write_text(json.dumps({"dataset": "digits"}))
    port = _free_port()
    server = subprocess.Popen([str(BIN / "glassnet"), "serve", str(run), "--host", "0.0.0.0", "--port", str(port),
                               "--backend", "onnx"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "COLUMNS": "200"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "glassnet serve did not start"
            time.sleep(0.5)
        meta = httpx.get(url + "/metadata").json()
        assert meta["backend"] == "onnx" and meta["input_shape"] == [8, 8, 1]
        pixels = np.round(x_test[0, ..., 0] * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        answer = httpx.post(url + "/predict?top_k=10", files={"file": ("d.png", buffer.getvalue(), "image/png")})
        got = {item["index"]: item["probability"] for item in answer.json()["predictions"][0]["top_k"]}
        expected = model.predict((pixels / 255).astype("float32")[None, ..., None], verbose=0)[0]
        np.testing.assert_allclose([got[i] for i in range(10)], expected, atol=1e-5)
        assert (run / "model.onnx").is_file()  # exported on first use, beside the model
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert "Warning:" in output and "0.0.0.0" in output and "no authentication" in output
    assert f"open http://127.0.0.1:{port}/" in output


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")
