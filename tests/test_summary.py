"""model.summary(): Keras' arguments, after build(), InputLayer rows and None sizes."""

import pytest

from glassnet.errors import NotBuiltError
from glassnet.layers import Conv2D, Dense, GlobalAveragePooling2D, Input
from glassnet.models import Model, Sequential


def test_summary_right_after_build_shows_shapes_and_params():
    model = Sequential([Dense(2, activation="relu"), Dense(3)])
    model.build((None, 4))
    text = model.summary(print_fn=lambda line: None)
    assert "(None, 2)" in text and "(None, 3)" in text
    assert "Total params: 19" in text  # (4*2+2) + (2*3+3)


def test_summary_after_the_first_call_on_data():
    import numpy as np
    model = Sequential([Dense(2), Dense(1)])
    model(np.ones((1, 4)))
    assert "Total params: 13" in model.summary(print_fn=lambda line: None)


def test_print_fn_is_called_once_per_line():
    model = Sequential([Input(shape=(3,)), Dense(2)])
    lines = []
    text = model.summary(print_fn=lines.append)
    assert lines == text.splitlines() and len(lines) > 5
    assert all("\n" not in line for line in lines)


def test_line_length_sets_the_table_width_and_positions_the_columns():
    model = Sequential([Input(shape=(3,)), Dense(2, name="a_rather_long_layer_name")])
    wide = model.summary(line_length=120, print_fn=lambda line: None).splitlines()
    narrow = model.summary(line_length=60, positions=[0.5, 0.75, 0.9, 1.0], print_fn=lambda line: None)
    assert max(len(line) for line in wide[:6]) == 120
    assert max(len(line) for line in narrow.splitlines()[:6]) <= 60
    header = next(line for line in narrow.splitlines() if "Layer (type)" in line)
    assert header.index("Output Shape") == pytest.approx(0.5 * 60, abs=3)


def test_show_trainable_adds_a_column():
    model = Sequential([Input(shape=(3,)), Dense(2, name="frozen"), Dense(1, name="free")])
    model.get_layer("frozen").trainable = False
    text = model.summary(show_trainable=True, print_fn=lambda line: None)
    rows = {line.split()[1]: line for line in text.splitlines() if "frozen" in line or "free" in line}
    assert "Trainable" in text
    assert rows["frozen"].rstrip(" │|┃").endswith("N") and rows["free"].rstrip(" │|┃").endswith("Y")


def test_functional_summary_lists_the_input_layer_as_keras_does():
    inputs = Input(shape=(4,), name="features")
    text = Model(inputs, Dense(2)(inputs)).summary(print_fn=lambda line: None)
    assert "features (InputLayer)" in text and "(None, 4)" in text


def test_variable_sizes_show_none_and_flops_are_not_given():
    inputs = Input(shape=(None, None, 3))
    outputs = Dense(2)(GlobalAveragePooling2D()(Conv2D(4, 3, strides=2)(inputs)))
    text = Model(inputs, outputs).summary(print_fn=lambda line: None)
    assert "(None, None, None, 4)" in text and "(None, 4)" in text and "(None, 2)" in text
    assert "Forward FLOPs per sample: depends on the input size" in text


def test_summary_of_an_unbuilt_model_says_what_to_do():
    with pytest.raises(NotBuiltError, match=r"model.build\(\(None, ...\)\)"):
        Sequential([Dense(2)]).summary(print_fn=lambda line: None)


def test_a_notebook_does_not_show_the_printed_summary_twice():
    # IPython shows a cell's last value unless it is None or has an _ipython_display_ hook
    text = Sequential([Input(shape=(3,)), Dense(2)]).summary(print_fn=lambda line: None)
    assert isinstance(text, str) and text._ipython_display_() is None


def test_summary_of_a_subclassed_model_right_after_build():
    from glassnet.layers import Dense
    from glassnet.models import Model

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(3)

        def call(self, inputs):
            return self.hidden(inputs)

    net = Net()
    net.build((None, 4))
    lines = []
    net.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 3)" in text and "15" in text and "not built" not in text
