"""Public Keras programs, ported by changing their import lines only, run as they are.

Each file in tests/keras_programs/ is a keras-io guide or example, a textbook notebook or
a TensorFlow tutorial (its header names the original); ``import keras`` became
``import glassnet as keras`` and nothing else changed, except lines marked
``# glassnet-test: smaller`` (less data, so the corpus runs in a few minutes).

Each program runs in its own Python process. ``PROGRAMS`` says what it must do:
``RUNS`` (exit 0), ``NEEDS_TENSORFLOW`` (fails: it uses tf.data / tf.GradientTape /
tf.keras, and glassnet says what to use instead or TensorFlow is not installed), or
an ``xfail(strict=True)`` naming the missing piece: when the piece lands the test
XPASSes, which fails, and the mark must go (the README's count goes up).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, require_data

FOLDER = Path(__file__).parent / "keras_programs"
RUNS, NEEDS_TENSORFLOW = "runs", "needs TensorFlow"


def missing(piece: str) -> str:
    """The expectation of a program that stops at a piece glassnet does not have yet."""
    return f"missing: {piece}"


#: program file stem -> what it does under glassnet today
PROGRAMS: dict[str, str] = {
    # keras-io guides
    "guide_sequential_model": RUNS,
    "guide_functional_api": missing("VGG19's ImageNet weights (not in the shared data; its LSTM models run)"),
    "guide_training_with_built_in_methods": NEEDS_TENSORFLOW,
    "guide_custom_train_step_in_torch": RUNS,
    "guide_writing_a_custom_training_loop_in_torch": RUNS,
    "guide_writing_your_own_callbacks": RUNS,
    "guide_making_new_layers_and_models_via_subclassing": RUNS,
    "guide_serialization_and_saving": RUNS,
    "guide_transfer_learning": NEEDS_TENSORFLOW,
    "guide_understanding_masking_and_padding": RUNS,
    "guide_intro_to_keras_for_engineers": NEEDS_TENSORFLOW,
    # keras-io examples
    "example_mnist_convnet": RUNS,
    "example_antirectifier": RUNS,
    "example_autoencoder": RUNS,
    "example_knowledge_distillation": RUNS,
    "example_image_classification_from_scratch": NEEDS_TENSORFLOW,
    "example_vae": NEEDS_TENSORFLOW,
    # Deep Learning with Python notebooks
    "dlwp_2_1_first_look_at_a_neural_network": RUNS,
    "dlwp_3_5_classifying_movie_reviews": missing("the official imdb.npz (glassnet.datasets.imdb downloads it; "
                                                  "offline and not in the shared data)"),
    "dlwp_5_1_introduction_to_convnets": RUNS,
    "dlwp_ch07_working_with_keras": RUNS,
    # a blog tutorial and a TensorFlow tutorial
    "blog_airline_passengers_mlp": RUNS,
    "tf_tutorial_basic_classification": NEEDS_TENSORFLOW,
}

#: programs that read a shared dataset (skipped locally without it, failing in CI)
DATA = {"mnist": ("mnist", "train-images-idx3-ubyte.gz"), "cifar10": ("cifar10", "cifar10_train_x.npy.xz"),
        "airline-passengers": ("timeseries", "airline-passengers.csv")}


def _datasets(source: str) -> list[tuple[str, str]]:
    return [path for name, path in DATA.items()
            if f"datasets.{name}" in source or f"import {name}" in source or f'"{name}' in source]


def _run(path: Path, workdir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
           "GLASSNET_DATA": str(Path(os.environ.get("GLASSNET_DATA", REPO.parent / "shared" / "data")).resolve())}
    return subprocess.run([sys.executable, str(path)], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)


def _params():
    for stem, expected in PROGRAMS.items():
        marks = [pytest.mark.xfail(strict=True, reason=expected)] if expected.startswith("missing") else []
        yield pytest.param(stem, expected, marks=marks, id=stem)


@pytest.mark.parametrize("stem, expected", list(_params()))
def test_program(stem: str, expected: str, tmp_path: Path):
    path = FOLDER / f"{stem}.py"
    for dataset in _datasets(path.read_text()):
        require_data(*dataset)
    result = _run(path, tmp_path)
    tail = (result.stdout[-1500:] + "\n" + result.stderr[-3000:]).strip()
    if expected == NEEDS_TENSORFLOW:
        assert result.returncode != 0, f"{stem} needs TensorFlow but ran:\n{tail}"
        code = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
        glassnet_first = "glassnet" in code[:code.find("import tensorflow")]  # else glassnet never ran
        missing_tf = "No module named 'tensorflow" in result.stderr
        told_the_way = missing_tf and ("instead of tf.data" in result.stderr or not glassnet_first)
        assert told_the_way or "glassnet" in result.stderr.splitlines()[-1], tail
        return
    assert result.returncode == 0, f"{stem} failed:\n{tail}"


def test_every_program_file_is_listed_and_says_where_it_comes_from():
    files = {path.stem for path in FOLDER.glob("*.py")}
    assert files == set(PROGRAMS), f"unlisted: {files - set(PROGRAMS)}; listed without a file: {set(PROGRAMS) - files}"
    for stem in files:
        header = (FOLDER / f"{stem}.py").read_text().splitlines()[:4]
        assert header[0].startswith("# Port of") and any("Original: http" in line for line in header), stem


def test_only_import_lines_and_marked_lines_mention_glassnet():
    for path in FOLDER.glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "glassnet" in line and not line.startswith("#"):
                ported_import = re.match(r"(import glassnet as keras|from glassnet(\.\w+)* import )", line)
                assert ported_import or "glassnet-test:" in line, f"{path.name}:{number}: {line}"


def test_readme_states_how_many_programs_run():
    runs = sum(expected == RUNS for expected in PROGRAMS.values())
    readme = (REPO / "README.md").read_text()
    assert f"Keras programs ported by imports only: {runs} of {len(PROGRAMS)} run" in readme


def test_a_tensorflow_dataset_gets_the_glassnet_way():
    # TensorFlow is not installed here: an object of a class defined in a tensorflow module stands in for one
    dataset_type = type("_PrefetchDataset", (), {"__module__": "tensorflow.python.data.ops.prefetch_op"})
    from glassnet.errors import InvalidArgumentError
    from glassnet.layers import Dense, Input
    from glassnet.models import Sequential

    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(InvalidArgumentError, match="TensorFlow _PrefetchDataset.*DataLoader.*instead of tf.data"):
        model.fit(dataset_type(), epochs=1, verbose=0)
