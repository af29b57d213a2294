"""Downloads against a local HTTP server on 127.0.0.1: good, corrupted, truncated and dropped files."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
    from tests.datasets_support import cache, session_cache  # noqa: F401
except ImportError:
    from conftest import require_data
    from datasets_support import cache, session_cache  # noqa: F401
from glassnet.datasets import files, mnist
from glassnet.datasets.files import RemoteFile
from glassnet.errors import DataFileError

LABELS = "train-labels-idx1-ubyte.gz"
LABELS_MD5, LABELS_SIZE = "d53e105ee54ea40749a09fcbcd1e9432", 28881


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[str, bytes]] = {}

    def do_GET(self):  # noqa: N802
        mode, body = self.routes.get(self.path, ("missing", b""))
        if mode == "missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "drop":  # announce everything, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1 (random port) that stops at the end of the test."""
    routes: dict[str, tuple[str, bytes]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, routes
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_good_files_install_and_load(server, tmp_path, monkeypatch, cache):
    base, routes = server
    src = require_data("mnist")
    for name, *_ in mnist.FILES.values():
        routes[f"/good/{name}"] = ("ok", (src / name).read_bytes())
    monkeypatch.setattr(mnist, "MIRRORS", (f"{base}/missing/", f"{base}/good/"))  # first mirror 404s
    (x_train, y_train), (x_test, _) = mnist.load_data(data_dir=tmp_path)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train)[0] == 5923
    assert _leftovers(tmp_path / "mnist") == sorted(name for name, *_ in mnist.FILES.values())


@pytest.mark.parametrize("mode", ["corrupt", "truncated", "drop"])
def test_bad_downloads_fail_clearly_and_leave_nothing(server, tmp_path, mode):
    base, routes = server
    good = (require_data("mnist") / LABELS).read_bytes()
    body = {"corrupt": good[:-100] + bytes(100), "truncated": good[:1000], "drop": good}[mode]
    routes[f"/{mode}/{LABELS}"] = ("drop" if mode == "drop" else "ok", body)
    spec = RemoteFile(LABELS, (f"{base}/{mode}/",), md5=LABELS_MD5, size=LABELS_SIZE)
    with pytest.raises(DataFileError) as info:
        files.fetch("mnist", spec, root=tmp_path, progress=False)
    text = str(info.value)
    assert LABELS in text and str(tmp_path / "mnist" / LABELS) in text  # which file, where to put it
    assert {"corrupt": "corrupt", "truncated": "truncated", "drop": "incomplete"}[mode] in text or "dropped" in text
    assert _leftovers(tmp_path / "mnist") == []  # no partial or temp file


def test_offline_error_names_files_and_folder(tmp_path):
    spec = RemoteFile(LABELS, ("http://127.0.0.1:9/",), md5=LABELS_MD5, size=LABELS_SIZE)  # port 9: refused
    with pytest.raises(DataFileError, match="download failed") as info:
        files.fetch("mnist", spec, root=tmp_path, progress=False)
    assert str(tmp_path / "mnist" / LABELS) in str(info.value) and LABELS_MD5 in str(info.value)


def test_present_truncated_or_corrupt_file_is_named(tmp_path):
    good = (require_data("mnist") / LABELS).read_bytes()
    (tmp_path / "mnist").mkdir()
    target = tmp_path / "mnist" / LABELS
    spec = RemoteFile(LABELS, ("http://127.0.0.1:9/",), md5=LABELS_MD5, size=LABELS_SIZE)
    target.write_bytes(good[:500])
    with pytest.raises(DataFileError, match="truncated") as info:
        files.fetch("mnist", spec, root=tmp_path)
    assert str(target) in str(info.value)
    target.write_bytes(good[:100] + bytes(200) + good[300:])
    with pytest.raises(DataFileError, match="corrupt"):
        files.fetch("mnist", spec, root=tmp_path)
    target.write_bytes(good)
    assert files.fetch("mnist", spec, root=tmp_path) == target
