"""The demo page in a real headless Chromium: draw digits on a served MNIST convnet, upload an LFW face to
a served transfer-learning model (MobileNet features + a head trained on LFW)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from browser_support import browser  # noqa: F401  (the fixture)
from conftest import require_data

from glassnet.export.preprocessing import Preprocessing, dataset_preprocessing
from glassnet.serve import BackgroundServer, create_app

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def mnist_convnet():
    """The Keras MNIST convnet (glassnet train --model cnn) trained for one epoch on 12,000 MNIST images."""
    require_data("mnist")
    from glassnet.cli.train import build_model, load_dataset
    from glassnet.utils import set_random_seed

    set_random_seed(0)
    (x, y), _, _ = load_dataset("mnist")
    model = build_model("cnn", (28, 28, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:12000], y[:12000], batch_size=64, epochs=1, verbose=0)
    return model


def _draw(window, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw strokes on the canvas; points are fractions of its width/height (0-1) from its top left."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = window.driver.find_element(By.ID, "canvas")
    size = canvas.size
    for stroke in strokes:
        actions = ActionChains(window.driver, duration=10)
        to_offset = [(fx * size["width"] - size["width"] / 2, fy * size["height"] - size["height"] / 2)
                     for fx, fy in stroke]
        actions.move_to_element_with_offset(canvas, *map(int, to_offset[0])).click_and_hold()
        previous = to_offset[0]
        for point in to_offset[1:]:
            actions.move_by_offset(int(point[0] - previous[0]), int(point[1] - previous[1]))
            previous = (previous[0] + int(point[0] - previous[0]), previous[1] + int(point[1] - previous[1]))
        actions.release().perform()


def _top1(window) -> str:
    window.wait_for("document.getElementById('bars').dataset.state === 'done'")
    window.wait_for("!document.getElementById('explain').hidden")
    return window.driver.execute_script("return document.getElementById('bars').dataset.top1")


def _clear(window) -> None:
    window.driver.find_element("id", "clear").click()


def test_drawn_one_and_zero_are_read_as_1_and_0(browser, mnist_convnet, tmp_path):
    app = create_app(mnist_convnet, dataset_preprocessing(mnist_convnet, "mnist"))
    with BackgroundServer(app) as server:
        browser.open(server.url + "/")
        browser.wait_for("document.getElementById('model-info').textContent.includes('classes')")
        _draw(browser, [[(0.5, 0.15), (0.5, 0.35), (0.5, 0.55), (0.5, 0.75), (0.5, 0.88)]])
        assert _top1(browser) == "1"
        browser.screenshot("drawn_one")
        _clear(browser)
        circle = [(0.5 + 0.22 * np.sin(a), 0.5 - 0.32 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 40)]
        _draw(browser, [circle])
        assert _top1(browser) == "0"
        shot = browser.screenshot("drawn_zero")
        bars = browser.driver.execute_script("return document.querySelectorAll('#bars li').length")
        assert bars == 5
        assert browser.console_errors() == []
    assert shot.stat().st_size > 10_000
    if os.environ.get("GLASSNET_UPDATE_DOCS") == "1":  # refresh the README's screenshot on purpose only
        shutil.copy(shot, REPO / "docs" / "images" / "serve_demo.png")


@pytest.fixture(scope="module")
def lfw_face_model():
    """MobileNet (alpha 0.25, the shared no-top weights, 128×128) frozen + a softmax head trained on the
    LFW people with at least 70 photos; returns (model, preprocessing, a held-out face file, its person)."""
    weights = require_data("weights", "mobilenet_2_5_224_tf_no_top.h5")
    root = require_data("lfw")
    from PIL import Image

    from glassnet import layers, models
    from glassnet.applications import MobileNet
    from glassnet.utils import set_random_seed

    set_random_seed(0)
    people = sorted(p for p in root.iterdir() if p.is_dir() and len(list(p.glob("*.jpg"))) >= 70)[:4]
    files = {person.name: sorted(person.glob("*.jpg")) for person in people}
    pre = Preprocessing(input_shape=(128, 128, 3), scale=1 / 127.5, offset=-1.0, class_names=list(files),
                        source="MobileNet: pixels / 127.5 - 1")

    def load(path: Path) -> np.ndarray:
        image = Image.open(path).convert("RGB").resize((128, 128), Image.Resampling.BILINEAR)
        return pre.apply(np.asarray(image))

    train = [(load(f), i) for i, name in enumerate(files) for f in files[name][1:61]]
    x = np.stack([t[0] for t in train])
    y = np.array([t[1] for t in train])
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(128, 128, 3), weights=str(weights))
    base.trainable = False
    inputs = layers.Input((128, 128, 3))
    model = models.Model(inputs, layers.Dense(len(files), activation="softmax")(base(inputs)), name="lfw_faces")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=12, verbose=0)
    person = list(files)[0]
    return model, pre, files[person][0], person


def test_uploaded_lfw_face_gets_a_person_and_an_overlay(browser, lfw_face_model):
    model, pre, face, person = lfw_face_model
    with BackgroundServer(create_app(model, pre)) as server:
        browser.open(server.url + "/")
        browser.wait_for("document.getElementById('model-info').textContent.includes('classes')")
        browser.driver.find_element("id", "file").send_keys(str(face))
        top1 = _top1(browser)
        labels = browser.driver.execute_script(
            "return [...document.querySelectorAll('#bars .label')].map(e => e.textContent)")
        browser.screenshot("uploaded_face")
        assert browser.console_errors() == []
    assert sorted(labels) == sorted(pre.class_names)  # the 4 people, as bars
    assert top1 == person
