"""Export: ONNX files give model.predict's numbers under onnxruntime (MNIST convnet, digits MLP, MobileNet
alpha 0.25, an LSTM) with a dynamic batch axis and the preprocessing as metadata; torch.export programs
and bundles round-trip; run folders say what preprocessing they trained with."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch
from conftest import require_data
from PIL import Image
from typer.testing import CliRunner

from glassnet import layers, models
from glassnet.cli import app as cli
from glassnet.cli.train import build_model, load_dataset
from glassnet.errors import DataFileError, InvalidArgumentError, UnknownNameError
from glassnet.export import (Preprocessing, export, for_model, load_bundle, max_abs_difference, read_metadata)
from glassnet.export.onnx import onnx_session
from glassnet.export.preprocessing import dataset_preprocessing

pytestmark = pytest.mark.xdist_group("export")  # one worker pays the exporter's import once


def _batch_axis(path) -> str:
    graph = onnx.load(str(path)).graph
    return graph.input[0].type.tensor_type.shape.dim[0].dim_param


@pytest.mark.slow
def test_onnx_mnist_convnet_matches_predict_on_real_images(tmp_path):
    require_data("mnist")
    (x, y), (x_test, _), names = load_dataset("mnist")
    model = build_model("cnn", (28, 28, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x[:2000], y[:2000], batch_size=64, epochs=1, verbose=0)
    path = model.export(tmp_path / "mnist.onnx", format="onnx", preprocessing=dataset_preprocessing(model, "mnist"))
    assert max_abs_difference(model, path, x_test[:256]) < 1e-5
    assert _batch_axis(path) == "batch"
    session = onnx_session(path)
    assert session.run(None, {"input": x_test[:7]})[0].shape == (7, 10)  # any batch size
    meta = read_metadata(path)
    assert (meta.input_shape, meta.layout, meta.color_mode, meta.class_names) == ((28, 28, 1), "NHWC", "grayscale",
                                                                                  names)
    assert meta.scale == pytest.approx(1 / 255) and meta.output == "softmax" and meta.in_model == []
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert props["producer"] == "glassnet" and json.loads(props["class_names"]) == names


def test_onnx_digits_mlp_keeps_its_accuracy(tmp_path):
    (x, y), (x_test, y_test), _ = load_dataset("digits")
    model = build_model("mlp", (8, 8, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    path = export(model, tmp_path / "digits.onnx", format="onnx")
    assert max_abs_difference(model, path, x_test) < 1e-5
    onnx_predictions = onnx_session(path).run(None, {"input": x_test})[0].argmax(1)
    assert (onnx_predictions == model.predict(x_test, verbose=0).argmax(1)).all()
    assert (onnx_predictions == y_test).mean() > 0.9


@pytest.mark.slow
def test_onnx_mobilenet_on_imagenet_photos(tmp_path):
    from glassnet.applications import MobileNet
    from glassnet.applications.mobilenet import preprocess_input

    weights = require_data("weights", "mobilenet_2_5_224_tf_no_top.h5")
    photos = sorted(require_data("photos").glob("*.JPEG"))[:8]
    x = preprocess_input(np.stack([np.asarray(Image.open(p).convert("RGB").resize((224, 224)), np.float32)
                                   for p in photos]))
    model = MobileNet(alpha=0.25, include_top=False, pooling="avg", weights=str(weights))
    pre = Preprocessing(input_shape=(224, 224, 3), scale=1 / 127.5, offset=-1.0, output="logits",
                        class_names=[f"feature {i}" for i in range(256)])
    path = export(model, tmp_path / "mobilenet.onnx", format="onnx", preprocessing=pre)
    assert max_abs_difference(model, path, x, batch_size=4) < 1e-4
    assert read_metadata(path).offset == -1.0


@pytest.mark.slow
def test_onnx_lstm_on_airline_passengers(tmp_path):
    from glassnet.datasets import airline_passengers

    require_data("timeseries", "airline-passengers.csv")
    _, passengers = airline_passengers.load_data()
    scaled = (passengers - passengers.mean()) / passengers.std()
    windows = np.stack([scaled[i:i + 12] for i in range(len(scaled) - 12)])[..., None].astype("float32")
    rises = (passengers[12:] > passengers[11:-1]).astype("int64")
    model = models.Sequential([layers.Input((12, 1)), layers.LSTM(16), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(windows, rises, epochs=3, verbose=0)
    path = export(model, tmp_path / "lstm.onnx", format="onnx", class_names=["falls", "rises"])
    assert max_abs_difference(model, path, windows) < 1e-5
    meta = read_metadata(path)
    assert meta.layout == "features" and meta.color_mode is None and meta.class_names == ["falls", "rises"]


def test_torch_program_round_trip_with_its_preprocessing(tmp_path):
    model = models.Sequential([layers.Input((6, 6, 3)), layers.Rescaling(1 / 255), layers.Conv2D(4, 3),
                               layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
    path = model.export(tmp_path / "m.pt2", format="torch")
    extra = {"preprocessing.json": ""}
    program = torch.export.load(str(path), extra_files=extra)
    x = np.random.default_rng(0).uniform(0, 255, (5, 6, 6, 3)).astype("float32")
    np.testing.assert_allclose(program.module()(torch.from_numpy(x)).numpy(), model.predict(x, verbose=0), atol=1e-6)
    meta = Preprocessing.from_json(extra["preprocessing.json"])
    assert meta.in_model == ["Rescaling(scale=0.00392157, offset=0)"] and meta.scale == 1.0  # not scaled twice


def test_bundle_and_run_folders_know_their_preprocessing(tmp_path):
    model = build_model("mlp", (28, 28, 1), 10)
    bundle = model.export(tmp_path / "bundle", preprocessing=dataset_preprocessing(model, "fashion_mnist"))
    loaded, pre = load_bundle(bundle)
    assert pre.class_names[0] == "T-shirt/top" and pre.input_shape == (28, 28, 1)
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    run = tmp_path / "run"  # a glassnet train run: model.glassnet + metrics.json, no preprocessing.json
    run.mkdir()
    model.save(run / "model.glassnet")
    (run / "metrics.json").write_text(json.dumps({"dataset": "cifar10"}))
    assert load_bundle(run)[1].class_names[:2] == ["airplane", "automobile"]
    (run / "metrics.json").write_text("{broken")
    assert load_bundle(run)[1].class_names == [str(i) for i in range(10)]


def test_export_errors_say_what_to_do(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(UnknownNameError, match="onnx"):
        export(model, tmp_path / "m", format="tflite")
    with pytest.raises(InvalidArgumentError, match="no fixed input shape"):
        for_model(models.Sequential([layers.Dense(2)]))
    with pytest.raises(DataFileError, match="No model at"):
        load_bundle(tmp_path / "missing")
    with pytest.raises(DataFileError, match="needs 'input_shape'"):
        Preprocessing.from_json('{"scale": 1}')
    with pytest.raises(DataFileError, match="invalid field"):
        Preprocessing.from_json('{"input_shape": [2], "layout": "HWCN"}')
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataFileError, match="is a file"):
        model.export(tmp_path / "file")


def test_glassnet_export_command_on_a_run_folder(tmp_path):
    model = build_model("mlp", (8, 8, 1), 10)
    run = tmp_path / "run"
    run.mkdir()
    model.save(run / "model.glassnet")
    (run / "metrics.json").write_text(json.dumps({"dataset": "digits"}))
    result = CliRunner().invoke(cli, ["export", str(run), "--format", "onnx"])
    assert result.exit_code == 0, result.output
    assert (run / "model.onnx").is_file() and "max abs difference" in result.output
    difference = float(result.output.split("max abs difference")[1].split()[0])
    assert difference < 1e-5
    result = CliRunner().invoke(cli, ["export", str(run), "--format", "torch", "--output", str(tmp_path / "m.pt2")])
    assert result.exit_code == 0 and (tmp_path / "m.pt2").is_file()
