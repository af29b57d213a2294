"""Hostile files and bad input: every case ends in a glassnet error with a clear message, or in a
documented safe outcome — never a crash, a raw traceback, a hang, or code running.

Each test is one case (parametrised cases count one each); README "Reliability" gives the figures.
Crafted files are built from a real saved model, one member changed at a time.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from glassnet import errors
from glassnet.layers import BatchNormalization, Dense, Dropout, Flatten, Input
from glassnet.models import Sequential, archive, load_model

GlassnetError = errors.GlassnetError


def clear(excinfo, *needles: str) -> str:
    """The error is glassnet's own, says where (the needles) and is a sentence, not a repr."""
    err = excinfo.value
    assert isinstance(err, GlassnetError), f"{type(err).__name__}: {err}"
    message = str(err)
    assert len(message) > 30 and "Traceback" not in message, message
    for needle in needles:
        assert needle.lower() in message.lower(), (needle, message)
    return message


# ---------------------------------------------------------------------------- crafted model files
def _model():
    torch.manual_seed(0)
    return Sequential([Input(shape=(4,)), Dense(3, activation="relu"), Dropout(0.5),
                       Dense(2, activation="softmax")])


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, bytes]:
    """The members of a trained, compiled model file (Adam state included)."""
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.random.rand(16, 4).astype("float32"), np.arange(16) % 2, batch_size=8, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("saved") / "m.glassnet"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def edit_json(members: dict[str, bytes], name: str, change) -> dict[str, bytes]:
    value = json.loads(members[name])
    change(value)
    return {**members, name: json.dumps(value).encode()}


def _layer_config(config, index):
    return config["model"]["config"]["layers"][index]["config"]


def _optimizer_state(members, change) -> dict[str, bytes]:
    from safetensors.torch import load, save
    tensors = load(members["optimizer.safetensors"])
    change(tensors)
    return {**members, "optimizer.safetensors": save(tensors)}


def _set(d, key, value):
    d[key] = value


MODEL_FILE_CASES = {
    # name: (members -> crafted members, words the message must hold)
    "missing config.json": (lambda m: {k: v for k, v in m.items() if k != "config.json"}, ["config.json"]),
    "missing model.safetensors": (lambda m: {k: v for k, v in m.items() if k != "model.safetensors"},
                                  ["model.safetensors"]),
    "missing optimizer.safetensors": (lambda m: {k: v for k, v in m.items() if k != "optimizer.safetensors"},
                                      ["optimizer.safetensors"]),
    "config.json not JSON": (lambda m: {**m, "config.json": b"{not json"}, ["not valid JSON"]),
    "config.json nested 100000 deep": (lambda m: {**m, "config.json": b"[" * 100000 + b"]" * 100000},
                                       ["nested"]),
    "config.json nested 500 deep": (lambda m: {**m, "config.json": b"[" * 500 + b"]" * 500}, ["500 levels"]),
    "config.json is a list": (lambda m: {**m, "config.json": b"[1, 2]"}, ["does not describe a model"]),
    "config.json binary garbage": (lambda m: {**m, "config.json": os.urandom(64)}, ["JSON"]),
    "newer format version": (lambda m: edit_json(m, "config.json", lambda c: _set(c, "format", "glassnet-model/9")),
                             ["format 9", "upgrade"]),
    "foreign format": (lambda m: edit_json(m, "config.json", lambda c: _set(c, "format", "keras-v3")),
                       ["not a glassnet model"]),
    "no model class": (lambda m: edit_json(m, "config.json", lambda c: _set(c["model"], "class_name", 7)),
                       ["names no model class"]),
    "unknown layer class": (lambda m: edit_json(m, "config.json", lambda c: _set(
        c["model"]["config"]["layers"][0], "class_name", "EvilLayer")), ["EvilLayer"]),
    "Dense with 10**12 units": (lambda m: edit_json(m, "config.json", lambda c: _set(
        _layer_config(c, 0), "units", 10**12)), ["refused before allocating"]),
    "Dense with -5 units": (lambda m: edit_json(m, "config.json", lambda c: _set(_layer_config(c, 0), "units", -5)),
                            ["config.json"]),
    "Dense with units 'abc'": (lambda m: edit_json(m, "config.json", lambda c: _set(
        _layer_config(c, 0), "units", "abc")), ["config.json"]),
    "Dense with an unknown argument": (lambda m: edit_json(m, "config.json", lambda c: _set(
        _layer_config(c, 0), "exec", "import os")), ["config.json"]),
    "architecture vs weights shapes": (lambda m: edit_json(m, "config.json", lambda c: _set(
        _layer_config(c, 0), "units", 5)), ["does not match"]),
    "safetensors garbage": (lambda m: {**m, "model.safetensors": os.urandom(200)}, ["model.safetensors"]),
    "safetensors empty": (lambda m: {**m, "model.safetensors": b""}, ["truncated"]),
    "safetensors truncated": (lambda m: {**m, "model.safetensors": m["model.safetensors"][:-7]},
                              ["model.safetensors"]),
    "safetensors header too long": (lambda m: {**m, "model.safetensors": struct.pack("<Q", 2**60) + b"{}"},
                                    ["header"]),
    "safetensors wrong dtype": (lambda m: {**m, "model.safetensors": _retag(m["model.safetensors"], "F32", "Q99")},
                                ["dtype"]),
    "safetensors offsets outside": (lambda m: {**m, "model.safetensors": _shift_offsets(m["model.safetensors"])},
                                    ["offsets"]),
    "optimizer moment of wrong shape": (lambda m: _optimizer_state(m, lambda t: _set(
        t, "optimizer.torch.state.0.exp_avg", torch.zeros(999))), ["shape (999,)"]),
    "optimizer moment of wrong dtype": (lambda m: _optimizer_state(m, lambda t: _set(
        t, "optimizer.torch.state.0.exp_avg", torch.zeros(3, 4, dtype=torch.int64))), ["exp_avg"]),
    "optimizer step counter NaN": (lambda m: _optimizer_state(m, lambda t: _set(
        t, "optimizer.torch.state.0.step", torch.tensor(float("nan")))), ["one finite number"]),
    "optimizer state for a parameter that does not exist": (lambda m: edit_json(
        m, "optimizer.json", lambda s: _set(s["torch"]["state"], "99", s["torch"]["state"]["0"])), ["parameter 99"]),
    "optimizer state missing a moment": (lambda m: edit_json(
        m, "optimizer.json", lambda s: s["torch"]["state"]["0"].pop("exp_avg_sq")), ["exp_avg_sq"]),
    "optimizer.json points at a missing tensor": (lambda m: edit_json(
        m, "optimizer.json", lambda s: _set(s["torch"]["state"]["0"], "exp_avg", {"__tensor__": "nope"})),
        ["lacks"]),
    "optimizer iterations negative": (lambda m: edit_json(m, "optimizer.json", lambda s: _set(s, "iterations", -4)),
                                      ["iterations"]),
    "optimizer config with a torch-only argument": (lambda m: edit_json(m, "config.json", lambda c: _set(
        c["compile"]["optimizer"]["config"], "maximize", True)), ["compile settings"]),
    "100 archive members": (lambda m: {**m, **{f"junk{i}": b"" for i in range(100)}}, ["archive members"]),
}


def _retag(data: bytes, old: str, new: str) -> bytes:
    size = int.from_bytes(data[:8], "little")
    header = data[8:8 + size].decode().replace(f'"{old}"', f'"{new}"', 1)
    return len(header).to_bytes(8, "little") + header.encode() + data[8 + size:]


def _shift_offsets(data: bytes) -> bytes:
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    name = next(k for k in header if k != "__metadata__")
    header[name]["data_offsets"] = [10**9, 10**9 + header[name]["data_offsets"][1] - header[name]["data_offsets"][0]]
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data[8 + size:]


@pytest.mark.parametrize("case", sorted(MODEL_FILE_CASES))
def test_crafted_model_file(case, saved, tmp_path):
    craft, needles = MODEL_FILE_CASES[case]
    path = write(tmp_path / "crafted.glassnet", craft(dict(saved)))
    with pytest.raises(GlassnetError) as excinfo:
        load_model(path)
    clear(excinfo, *needles)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04", os.urandom(300), b"\x80\x04K\x01."],
                         ids=["empty", "zip magic only", "random bytes", "a pickle"])
def test_not_a_model_file(content, tmp_path):
    path = tmp_path / "m.glassnet"
    path.write_bytes(content)
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(path)
    clear(excinfo, "m.glassnet")


def test_truncated_model_file(saved, tmp_path):
    data = write(tmp_path / "full.glassnet", saved).read_bytes()
    path = tmp_path / "cut.glassnet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(path)
    clear(excinfo, "cut.glassnet")


def test_missing_path_folder_and_fifo_do_not_hang(tmp_path):
    for path, needle in ((tmp_path / "nothing.glassnet", "No saved model"), (tmp_path, "folder")):
        with pytest.raises(errors.DataFileError) as excinfo:
            load_model(path)
        clear(excinfo, needle)
    fifo = tmp_path / "pipe.glassnet"
    os.mkfifo(fifo)
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(fifo)  # opening a FIFO would block forever
    clear(excinfo, "not a regular file")


def test_member_that_decompresses_past_the_limit(saved, tmp_path, monkeypatch):
    monkeypatch.setattr(archive.LIMITS, "max_member_bytes", 1 << 20)
    bomb = {**saved, "model.safetensors": b"\0" * (8 << 20)}  # 8 MB of zeros deflate to ~8 kB
    path = write(tmp_path / "bomb.glassnet", bomb, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(path)
    clear(excinfo, "model.safetensors", "limit")


def test_unused_members_are_never_read(saved, tmp_path, monkeypatch):
    """A huge extra member costs nothing: only the members a model needs are read (safe outcome)."""
    monkeypatch.setattr(archive.LIMITS, "max_total_bytes", 1 << 20)
    path = write(tmp_path / "extra.glassnet", {**saved, "huge.bin": b"\0" * (16 << 20)}, zipfile.ZIP_DEFLATED)
    assert load_model(path).count_params() == _model().count_params()


def test_duplicate_member_names_are_refused(saved, tmp_path):
    path = write(tmp_path / "dup.glassnet", saved)
    with zipfile.ZipFile(path, "a") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        z.writestr("config.json", b"{}")
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(path)
    clear(excinfo, "same member name")


def test_zip_slip_member_names_write_nothing(saved, tmp_path):
    """Members named '../../x' are never extracted to disk: the model loads and nothing is written."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    path = write(work / "slip.glassnet", {**saved, "../../evil.txt": b"x", "/tmp/evil-abs.txt": b"x"})
    before = sorted(p for p in tmp_path.rglob("*"))
    load_model(path)
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_functional_config_pointing_at_a_missing_node(tmp_path):
    a = Input(shape=(3,))
    from glassnet.models import Model
    Model(a, Dense(2)(Dense(4)(a))).save(tmp_path / "f.glassnet")
    with zipfile.ZipFile(tmp_path / "f.glassnet") as z:
        members = {n: z.read(n) for n in z.namelist()}

    def dangle(config):
        text = json.dumps(config["model"]["config"])
        config["model"]["config"] = json.loads(text.replace('"__node__": 0', '"__node__": 41'))
    path = write(tmp_path / "g.glassnet", edit_json(members, "config.json", dangle))
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(path)
    clear(excinfo, "architecture")


def test_nan_weights_load_with_a_warning(tmp_path):
    model = _model()
    with torch.no_grad():
        model.layers[0].weight[0, 0] = float("nan")
    model.save(tmp_path / "nan.glassnet")
    with pytest.warns(RuntimeWarning, match="NaN or infinite"):
        load_model(tmp_path / "nan.glassnet")


def test_stored_hyper_parameters_do_not_override_compile(saved, tmp_path):
    """maximize / lr in the stored param groups are ignored: the loaded optimizer trains as compiled."""
    def evil(state):
        for group in state["torch"]["param_groups"]:
            group.update(maximize=True, lr=100.0, betas=[0.0, 0.0])
    path = write(tmp_path / "evil.glassnet", edit_json(dict(saved), "optimizer.json", evil))
    model = load_model(path)
    model.fit(np.random.rand(8, 4).astype("float32"), np.arange(8) % 2, epochs=1, verbose=0)
    group = model.optimizer.torch_optimizer.param_groups[0]
    assert group["maximize"] is False and group["lr"] == pytest.approx(1e-3) and tuple(group["betas"]) == (0.9, 0.999)


def test_malformed_rng_snapshot_fails_at_resume(saved, tmp_path):
    crafted = edit_json(dict(saved), "resume.json", lambda s: _set(s["rng"]["python"], "internal", [1, 2, 3]))
    model = load_model(write(tmp_path / "r.glassnet", crafted))
    with pytest.raises(errors.DataFileError) as excinfo:
        model.fit(np.random.rand(8, 4).astype("float32"), np.arange(8) % 2, epochs=2, initial_epoch=1, verbose=0)
    clear(excinfo, "random-number state")


def test_early_stopping_best_weights_of_another_shape_fail_at_resume(tmp_path):
    from safetensors.torch import load, save

    from glassnet.callbacks import EarlyStopping
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = np.random.rand(16, 4).astype("float32"), np.arange(16) % 2
    model.fit(x, y, epochs=2, callbacks=[EarlyStopping(monitor="loss", restore_best_weights=True)], verbose=0)
    model.save(tmp_path / "m.glassnet")
    with zipfile.ZipFile(tmp_path / "m.glassnet") as z:
        members = {n: z.read(n) for n in z.namelist()}
    tensors = load(members["resume.safetensors"])
    key = next(k for k in tensors if "best_weights" in k and k.endswith("weight"))
    tensors[key] = torch.zeros(7)
    crafted = write(tmp_path / "c.glassnet", {**members, "resume.safetensors": save(tensors)})
    with pytest.raises(errors.DataFileError) as excinfo:
        load_model(crafted).fit(x, y, epochs=3, initial_epoch=2, verbose=0,
                                callbacks=[EarlyStopping(monitor="loss", restore_best_weights=True)])
    clear(excinfo, "best weights do not fit")


def test_symlinked_model_file_loads(saved, tmp_path):
    """A symlink to a model file is an ordinary way to name it (safe outcome: it loads)."""
    target = write(tmp_path / "real.glassnet", saved)
    link = tmp_path / "latest.glassnet"
    link.symlink_to(target)
    assert load_model(link).count_params() == _model().count_params()


# ---------------------------------------------------------------------------- weight files
def test_pickle_that_runs_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    path = tmp_path / "w.pth"
    torch.save({"weight": Evil()}, path)
    with pytest.raises(GlassnetError) as excinfo:
        _model().load_weights(path)
    clear(excinfo, "w.pth")
    from glassnet.applications.weights import read_torch_state_dict
    with pytest.raises(GlassnetError):
        read_torch_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"\x00" * 10, b"PK\x03\x04garbage"], ids=["0 bytes", "zeros", "bad zip"])
def test_broken_pth_files(content, tmp_path):
    from glassnet.applications.weights import load_weights_file
    path = tmp_path / "w.pth"
    path.write_bytes(content)
    with pytest.raises(errors.DataFileError) as excinfo:
        load_weights_file(_model(), path)
    clear(excinfo, "w.pth")
    with pytest.raises(errors.DataFileError):
        _model().load_weights(path)


def test_pth_holding_a_list_not_a_state_dict(tmp_path):
    from glassnet.applications.weights import load_weights_file
    path = tmp_path / "w.pth"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(errors.DataFileError) as excinfo:
        load_weights_file(_model(), path)
    clear(excinfo, "not a state dict")


def _keras_h5(path: Path, drop_group: bool = False, text_weight: bool = False) -> Path:
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"dense", b"dense_1"]
        for name, shape in (("dense", (4, 3)), ("dense_1", (3, 2))):
            if drop_group and name == "dense_1":
                continue
            g = f.create_group(name)
            g.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            if text_weight:
                g.create_dataset(f"{name}/kernel:0", data=np.array([b"x"] * 3))
            else:
                g.create_dataset(f"{name}/kernel:0", data=np.zeros(shape, "float32"))
            g.create_dataset(f"{name}/bias:0", data=np.zeros(shape[1], "float32"))
    return path


@pytest.mark.parametrize("kind", ["missing group", "text weights", "not keras", "truncated"])
def test_broken_keras_h5(kind, tmp_path):
    from glassnet.applications.keras_h5 import load_keras_h5
    path = tmp_path / "w.h5"
    if kind == "not keras":
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "w") as f:
            f.create_dataset("x", data=np.zeros(3))
    else:
        _keras_h5(path, drop_group=kind == "missing group", text_weight=kind == "text weights")
        if kind == "truncated":
            path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(errors.DataFileError) as excinfo:
        load_keras_h5(_model(), path)
    clear(excinfo, "w.h5")


# ---------------------------------------------------------------------------- IDX files
def _idx(shape, payload: bytes) -> bytes:
    return struct.pack(">BBBB", 0, 0, 8, len(shape)) + struct.pack(f">{len(shape)}I", *shape) + payload


def test_idx_gzip_bomb_stops_after_the_announced_bytes(tmp_path):
    from glassnet.datasets.idx import read_idx
    path = tmp_path / "bomb-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:  # announces 10 bytes, holds 64 MB
        f.write(_idx((10,), b""))
        for _ in range(64):
            f.write(b"\0" * (1 << 20))
    start = time.perf_counter()
    with pytest.raises(errors.DataFileError) as excinfo:
        read_idx(path)
    assert time.perf_counter() - start < 2
    clear(excinfo, "more data than its header")


def test_idx_header_announcing_terabytes(tmp_path):
    from glassnet.datasets.idx import read_idx
    path = tmp_path / "huge-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx((60000, 60000, 60000), b"\0" * 10)))
    with pytest.raises(errors.DataFileError) as excinfo:
        read_idx(path)
    clear(excinfo, "over the limit")


@pytest.mark.parametrize("raw", [b"", b"\0\0\x08\x03\0\0", _idx((5,), b"\1\2")], ids=["empty", "cut header", "short"])
def test_idx_truncated(raw, tmp_path):
    from glassnet.datasets.idx import read_idx
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(errors.DataFileError) as excinfo:
        read_idx(path)
    clear(excinfo, "x-idx1-ubyte.gz")


# ---------------------------------------------------------------------------- image folders
@pytest.fixture()
def pets(tmp_path) -> Path:
    root = tmp_path / "pets"
    for cls, count in (("cat", 2), ("dog", 2)):
        (root / cls).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", (6, 6), (i * 40, 0, 0)).save(root / cls / f"{cls}{i}.png")
    return root


def test_symlink_loop_and_link_into_another_class(pets):
    from glassnet.datasets import image_dataset_from_directory
    (pets / "cat" / "loop").symlink_to(pets / "cat")       # a loop
    (pets / "cat" / "more_dogs").symlink_to(pets / "dog")  # would label dogs as cats
    with pytest.warns(UserWarning, match="link to a folder already read"):
        ds = image_dataset_from_directory(pets, image_size=(6, 6), follow_links=True, shuffle=False)
    assert sorted(Path(p).name for p in ds.file_paths) == ["cat0.png", "cat1.png", "dog0.png", "dog1.png"]
    _, y = ds.as_numpy()
    assert y.tolist() == [0, 0, 1, 1]


def test_fifo_named_png_is_skipped_not_waited_on(pets):
    from glassnet.datasets import image_dataset_from_directory
    os.mkfifo(pets / "cat" / "x.png")
    with pytest.warns(UserWarning, match="not a regular file"):
        ds = image_dataset_from_directory(pets, image_size=(6, 6), shuffle=False)
    assert len(ds.file_paths) == 4


def test_decompression_bomb_png_is_skipped_with_warn_and_raises_with_raise(pets, monkeypatch):
    from glassnet.datasets import image_dataset_from_directory
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # a 200x200 image stands in for a 50k x 50k bomb
    Image.new("L", (200, 200)).save(pets / "dog" / "bomb.png")
    with pytest.warns(UserWarning, match="bomb.png"):
        ds = image_dataset_from_directory(pets, image_size=(6, 6), shuffle=False)
    assert len(ds.as_numpy()[0]) == 4
    with pytest.raises(errors.DataFileError) as excinfo:
        image_dataset_from_directory(pets, image_size=(6, 6), on_error="raise")
    clear(excinfo, "bomb.png")


def test_truncated_png_is_reported_by_path(pets):
    from glassnet.datasets import image_dataset_from_directory
    data = (pets / "cat" / "cat0.png").read_bytes()
    (pets / "cat" / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(errors.DataFileError) as excinfo:
        image_dataset_from_directory(pets, image_size=(6, 6), on_error="raise")
    clear(excinfo, "cut.png")


# ---------------------------------------------------------------------------- fit arguments and data
@pytest.fixture()
def net():
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


X, Y = np.random.RandomState(0).rand(20, 4).astype("float32"), np.arange(20) % 2

FIT_CASES = {
    "batch_size=0": (dict(batch_size=0), "batch_size"),
    "batch_size=2.5": (dict(batch_size=2.5), "batch_size"),
    "batch_size=True": (dict(batch_size=True), "batch_size"),
    "epochs=-1": (dict(epochs=-1), "epochs"),
    "epochs=1.5": (dict(epochs=1.5), "epochs"),
    "initial_epoch > epochs": (dict(epochs=2, initial_epoch=5), "initial_epoch"),
    "steps_per_epoch=0": (dict(steps_per_epoch=0), "steps_per_epoch"),
    "validation_split=1.5": (dict(validation_split=1.5), "validation_split"),
    "validation_freq=0": (dict(validation_freq=0), "validation_freq"),
    "class_weight key -1": (dict(class_weight={-1: 2.0}), "class_weight key -1"),
    "class_weight key 1.5": (dict(class_weight={1.5: 2.0}), "class_weight key 1.5"),
    "class_weight key '1'": (dict(class_weight={"1": 2.0}), "class_weight key '1'"),
    "class_weight weight NaN": (dict(class_weight={0: float("nan")}), "finite"),
    "class_weight negative weight": (dict(class_weight={0: -1.0}), "class_weight[0]"),
    "class_weight not a dict": (dict(class_weight=[1.0, 2.0]), "dict"),
    "list of lists as x": (dict(x=X.tolist()), "np.asarray"),
    "complex x": (dict(x=X.astype(np.complex64)), "complex"),
    "string x": (dict(x=X.astype(str)), "not numbers"),
    "labels out of range": (dict(y=Y + 5), "range from"),
    "fractional labels": (dict(y=Y + 0.5), "fractional"),
    "x and y of different lengths": (dict(y=Y[:7]), "same length"),
}


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_bad_fit_argument(case, net):
    overrides, needle = FIT_CASES[case]
    kwargs = {"x": X, "y": Y, "epochs": 1, "verbose": 0, **overrides}
    with pytest.raises(GlassnetError) as excinfo:
        net.fit(**kwargs)
    clear(excinfo, needle)


def test_float16_inputs_train_as_float32(net):
    """Safe outcome: float16 arrays are converted at the data boundary, as float64 ones are."""
    history = net.fit(X.astype(np.float16), Y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_last_batch_of_one_with_batch_norm(net):
    model = Sequential([Input(shape=(4,)), Dense(3), BatchNormalization(), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(errors.InvalidArgumentError) as excinfo:
        model.fit(np.random.rand(33, 4).astype("float32"), np.arange(33) % 2, batch_size=32, verbose=0)
    clear(excinfo, "batch_size", "single sample")
    model.fit(np.random.rand(32, 4).astype("float32"), np.arange(32) % 2, batch_size=16, verbose=0)


def _batches(bad_batch: int, bad_labels):
    def generate():
        for i in range(6):
            y = np.arange(4) % 2 if i != bad_batch else bad_labels
            yield np.random.rand(4, 4).astype("float32"), y
    return generate


@pytest.mark.parametrize("labels,needle", [(np.array([0, 1, 9, 0]), "range from 0 to 9"),
                                           (np.array([0.0, 0.5, 1.0, 0.0]), "fractional"),
                                           (np.array([0, -3, 1, 0]), "range from -3"),
                                           (np.array(["cat", "dog", "cat", "dog"]), "not numbers")],
                         ids=["out of range", "fractional", "negative", "text"])
def test_generator_labels_checked_on_every_batch(net, labels, needle):
    with pytest.raises(GlassnetError) as excinfo:
        net.fit(_batches(4, labels)(), steps_per_epoch=6, epochs=1, verbose=0)
    clear(excinfo, "Batch 5", needle)


def test_class_weight_honoured_for_a_generator_like_sample_weight():
    def make():
        torch.manual_seed(1)
        model = Sequential([Input(shape=(4,)), Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        return model
    rng = np.random.RandomState(0)
    batches = [(rng.rand(4, 4).astype("float32"), np.array([0, 1, 1, 0])) for _ in range(3)]
    weighted = make().fit(iter(batches), class_weight={1: 3.0}, steps_per_epoch=3, verbose=0, shuffle=False)
    explicit = make().fit(iter([(x, y, np.where(y == 1, 3.0, 1.0).astype("float32")) for x, y in batches]),
                          steps_per_epoch=3, verbose=0, shuffle=False)
    plain = make().fit(iter(batches), steps_per_epoch=3, verbose=0, shuffle=False)
    assert weighted.history["loss"] == pytest.approx(explicit.history["loss"], rel=1e-6)
    assert weighted.history["loss"] != pytest.approx(plain.history["loss"], rel=1e-3)


# ---------------------------------------------------------------------------- saves
def test_save_keeps_the_existing_permissions_and_new_files_follow_the_umask(tmp_path):
    path = tmp_path / "m.glassnet"
    _model().save(path)
    old_mask = os.umask(0o022)
    os.umask(old_mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~old_mask
    path.chmod(0o640)
    _model().save(path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_orphaned_temp_files_from_a_crashed_save_are_removed(tmp_path):
    from glassnet.io import TEMP_SUFFIX
    orphan = tmp_path / f".m.glassnet.x1y2{TEMP_SUFFIX}"
    orphan.write_bytes(b"half a model")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / f".other.abc{TEMP_SUFFIX}"  # a save still running elsewhere: left alone
    fresh.write_bytes(b"")
    _model().save(tmp_path / "m.glassnet")
    assert not orphan.exists() and fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, "m.glassnet"]


# ---------------------------------------------------------------------------- glassnet train
def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from glassnet.cli import app
    result = CliRunner().invoke(app, ["train", *args])
    text = result.output + (str(result.exception) if result.exception else "")
    return result.exit_code, " ".join(text.replace("│", " ").split())  # rich wraps messages in a box


@pytest.mark.parametrize("rate", ["nan", "-1", "0", "inf"])
def test_cli_refuses_a_bad_learning_rate(rate):
    code, output = _cli("--learning-rate", rate)
    assert code == 2 and "learning rate must be a finite number > 0" in output


@pytest.mark.parametrize("kind", ["a file", "under a file"])
def test_cli_refuses_a_bad_output_before_training(kind, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    output = blocker if kind == "a file" else blocker / "runs"
    start = time.perf_counter()
    code, output_text = _cli("--output", str(output), "--epochs", "500")
    assert code == 1 and "--output" in output_text and time.perf_counter() - start < 10


@pytest.mark.slow  # a real `glassnet train` process (about 6 s on an idle machine, mostly start-up)
def test_cli_ctrl_c_saves_the_run_so_far(tmp_path):
    glassnet = Path(sys.executable).parent / "glassnet"
    proc = subprocess.Popen([glassnet, "train", "--epochs", "100000", "--verbose", "2", "--output", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"})
    seen = ""
    deadline = time.time() + 60
    while seen.count("Epoch") < 2 and time.time() < deadline:
        seen += proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, seen + out
    assert "Interrupted after" in out
    run = next(tmp_path.iterdir())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["interrupted"] is True and metrics["epochs_completed"] >= 1
    assert load_model(run / "model.glassnet").count_params() > 0
    assert len((run / "history.csv").read_text().splitlines()) == metrics["epochs_completed"] + 1
