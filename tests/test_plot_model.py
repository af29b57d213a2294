"""keras.utils.plot_model: a PNG of the graph drawn by Graphviz, DOT text without it."""

import os
import shutil

import pytest

import glassnet as keras
from glassnet.errors import MissingToolError
from glassnet.layers import Concatenate, Dense, Input
from glassnet.models import Model, Sequential
from glassnet.utils import model_to_dot, plot_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _require_dot():
    if shutil.which("dot") is None:
        message = "Graphviz 'dot' is not installed (apt-get install graphviz; make venv does it as root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def _two_branch_model():
    a, b = Input(shape=(4,), name="a"), Input(shape=(3,), name="b")
    joined = Concatenate(name="joined")([Dense(5, name="hidden")(a), b])
    return Model([a, b], [Dense(1, name="score")(joined), Dense(2, name="kind")(joined)])


def test_dot_text_has_a_box_per_layer_and_an_arrow_per_connection():
    text = model_to_dot(_two_branch_model(), show_shapes=True)
    for name in ("a", "b", "hidden", "joined", "score", "kind"):
        assert f'"{name}" [label="{name} (' in text
    arrows = {line.strip() for line in text.splitlines() if "->" in line}
    assert arrows == {'"a" -> "hidden";', '"hidden" -> "joined";', '"b" -> "joined";',
                      '"joined" -> "score";', '"joined" -> "kind";'}
    assert "Input shape: [(None, 5), (None, 3)]" in text and "Output shape: (None, 8)" in text


def test_sequential_is_a_chain_from_its_input():
    model = Sequential([Input(shape=(8,), name="pixels"), Dense(3, name="h"), Dense(1, name="out")])
    text = model_to_dot(model, show_layer_names=True, rankdir="LR")
    assert "rankdir=LR" in text
    assert [line.strip() for line in text.splitlines() if "->" in line] == ['"pixels" -> "h";', '"h" -> "out";']


def test_plot_model_writes_a_png(tmp_path):
    _require_dot()
    path = tmp_path / "model.png"
    assert keras.utils.plot_model(_two_branch_model(), to_file=str(path), show_shapes=True, dpi=72) is None
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 200 and height > 200  # six boxes on four levels


def test_dot_file_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no 'dot' on this PATH
    plot_model(_two_branch_model(), to_file=tmp_path / "model.dot")
    assert (tmp_path / "model.dot").read_text().startswith('digraph "')


def test_missing_graphviz_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError, match="apt-get install -y graphviz"):
        plot_model(_two_branch_model(), to_file=tmp_path / "model.png")


def test_unknown_format_and_rankdir_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg"):
        plot_model(_two_branch_model(), to_file=tmp_path / "model.bmp")
    with pytest.raises(ValueError, match="rankdir"):
        model_to_dot(_two_branch_model(), rankdir="XY")
