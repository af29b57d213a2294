"""Transfer learning with real pretrained weights: Keras' ImageNet MobileNet (alpha 0.25) on LFW faces,
and the freeze -> train head -> unfreeze -> fine-tune recipe with compile/fit."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

try:
    from tests.conftest import require_data
except ImportError:  # pytest run from inside tests/
    from conftest import require_data
from glassnet.applications import MobileNet, preprocess_input
from glassnet.applications.keras_h5 import load_keras_h5
from glassnet.errors import DataFileError
from glassnet.layers import Dense, Dropout
from glassnet.models import Sequential

WEIGHTS = ("weights", "mobilenet_2_5_224_tf_no_top.h5")
SIZE = 128
PEOPLE_MIN_IMAGES = 70  # the 7 people of scikit-learn's fetch_lfw_people(min_faces_per_person=70)


def test_real_keras_mobilenet_loads_every_tensor():
    path = require_data(*WEIGHTS)
    model = MobileNet(alpha=0.25, include_top=False, weights=None)
    pairs = load_keras_h5(model, path)
    with h5py.File(path) as f:
        with_weights = [n.decode() for n in f.attrs["layer_names"] if len(f[n.decode()].attrs["weight_names"])]
        kernel = np.asarray(f["conv_pw_13"]["conv_pw_13/kernel:0"])
        depthwise = np.asarray(f["conv_dw_2"]["conv_dw_2/depthwise_kernel:0"])
    assert sorted(pairs) == sorted(with_weights) and len(pairs) == 54  # every file layer used, none missing
    tensors = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    assert len(tensors) == 135 and model.count_params() == 218_544  # 135 arrays in the file
    assert np.array_equal(model.blocks[12].conv_pw.weight.detach().numpy(), kernel.transpose(3, 2, 0, 1))
    assert np.array_equal(model.blocks[1].conv_dw.weight.detach().numpy()[:, 0], depthwise[..., 0].transpose(2, 0, 1))
    wrong = MobileNet(alpha=0.5, include_top=False, weights=None)
    with pytest.raises(DataFileError, match=r"does not fit.*mismatch"):
        load_keras_h5(wrong, path)


def _lfw_faces() -> tuple[np.ndarray, np.ndarray]:
    root = require_data("lfw")
    people = sorted(p for p in root.iterdir() if p.is_dir() and len(list(p.glob("*.jpg"))) >= PEOPLE_MIN_IMAGES)
    images, labels = [], []
    for label, person in enumerate(people):
        for file in sorted(person.glob("*.jpg")):
            with Image.open(file) as img:  # 250x250, face centred: keep the middle 150x150
                face = img.convert("RGB").crop((50, 50, 200, 200)).resize((SIZE, SIZE), Image.BILINEAR)
            images.append(np.asarray(face))
            labels.append(label)
    return np.stack(images).astype(np.float32), np.array(labels)


def _features(model, images: np.ndarray) -> np.ndarray:
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), 128):
            out.append(model(torch.from_numpy(preprocess_input(images[start:start + 128], mode="tf"))).numpy())
    return np.concatenate(out)


@pytest.mark.slow
def test_pretrained_features_beat_random_features_on_lfw():
    path = require_data(*WEIGHTS)
    images, labels = _lfw_faces()
    assert len(np.unique(labels)) == 7 and len(labels) == 1288
    pretrained = MobileNet(alpha=0.25, include_top=False, pooling="avg", weights=str(path))
    torch.manual_seed(0)
    random_init = MobileNet(alpha=0.25, include_top=False, pooling="avg", weights=None)
    scores = {}
    for name, model in (("pretrained", pretrained), ("random", random_init)):
        feats = _features(model, images)
        x_train, x_test, y_train, y_test = train_test_split(feats, labels, test_size=0.25, stratify=labels,
                                                            random_state=0)
        mean, std = x_train.mean(0), x_train.std(0) + 1e-6
        clf = LogisticRegression(max_iter=2000, C=1.0).fit((x_train - mean) / std, y_train)
        scores[name] = clf.score((x_test - mean) / std, y_test)
    print(scores)
    assert scores["pretrained"] >= scores["random"] + 0.20, scores
    assert scores["pretrained"] >= 0.65, scores


def test_freeze_train_head_unfreeze_fine_tune():
    rng = np.random.default_rng(0)
    x = rng.random((24, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 3, 24)
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(32, 32, 3), weights=None)
    model = Sequential([base, Dense(3, activation="softmax")])
    base.trainable = False
    assert sum(w.numel() for w in model.trainable_weights) == 256 * 3 + 3
    assert sum(w.numel() for w in model.non_trainable_weights) == 218_544
    frozen_stats = base.conv1_bn.running_mean.clone()
    frozen_kernel = base.conv1.weight.detach().clone()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert torch.equal(base.conv1.weight, frozen_kernel)
    assert torch.equal(base.conv1_bn.running_mean, frozen_stats)  # frozen batch norm runs in inference mode

    base.trainable = True
    assert sum(w.numel() for w in model.trainable_weights) == 218_544 - 2 * sum(
        m.running_mean.numel() for m in base.modules() if hasattr(m, "running_mean")) + 771
    from glassnet.optimizers import Adam
    model.compile(optimizer=Adam(learning_rate=1e-5), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert not torch.equal(base.conv1.weight, frozen_kernel)
    assert not torch.equal(base.conv1_bn.running_mean, frozen_stats)


def test_imagenet_name_finds_the_file_in_the_data_directory(monkeypatch):
    path = require_data(*WEIGHTS)
    monkeypatch.setenv("GLASSNET_DATA", str(path.parent.parent))
    model = MobileNet(alpha=0.25, include_top=False, weights="imagenet", pooling="avg")
    reference = MobileNet(alpha=0.25, include_top=False, weights=str(path), pooling="avg")
    assert torch.equal(model.blocks[12].conv_pw.weight, reference.blocks[12].conv_pw.weight)


def _bn_states(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items() if "running" in k}


def test_base_model_called_with_training_false_runs_this_call_in_inference_mode():
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(32, 32, 3), weights=None)
    x = torch.rand(4, 32, 32, 3)
    base.eval()
    with torch.no_grad():
        expected = base(x)
    base.train()
    stats = _bn_states(base)
    with torch.no_grad():
        out = base(x, training=False)
    torch.testing.assert_close(out, expected)  # batch norm used its moving statistics
    assert all(torch.equal(v, _bn_states(base)[k]) for k, v in stats.items())  # and did not update them
    assert base.training and all(m.training for m in base.modules())  # the train flag is back, everywhere
    with torch.no_grad():
        batch_stats = base(x, training=True)
    assert not torch.allclose(batch_stats, expected)
    assert not torch.equal(base.conv1_bn.running_mean, stats["conv1_bn.running_mean"])


def test_dropout_is_off_in_a_call_with_training_false():
    model = Sequential([Dense(64, activation="relu"), Dropout(0.5)])
    x = torch.ones(8, 16)
    model.train()
    first = model(x, training=False)
    torch.testing.assert_close(model(x, training=False), first)
    assert (model(x, training=True) == 0).any() and not (first == 0).all()


def test_keras_fine_tuning_recipe_keeps_batch_norm_in_inference_mode_during_fit():
    """Keras' recipe: ``x = base(inputs, training=False)`` in a functional model; after unfreezing, fit
    updates the base's weights but its batch norms keep their moving statistics."""
    from glassnet.layers import Input
    from glassnet.models import Model
    path = require_data(*WEIGHTS)  # pretrained: random weights with moving statistics give ~0 features
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, (16, 64, 64, 3)).astype(np.float32), rng.integers(0, 3, 16)
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(64, 64, 3), weights=str(path))
    inputs = Input(shape=(64, 64, 3))
    outputs = Dense(3, activation="softmax")(base(inputs, training=False))
    model = Model(inputs, outputs)
    stats, kernel = _bn_states(base), base.conv1.weight.detach().clone()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not torch.equal(base.conv1.weight, kernel)  # the base trains...
    assert all(torch.equal(v, _bn_states(base)[k]) for k, v in stats.items())  # ...its batch norms do not
