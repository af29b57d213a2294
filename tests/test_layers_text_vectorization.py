"""TextVectorization against Keras 3's outputs (tests/fixtures/keras_text.json, made by make_keras_text.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import glassnet
from glassnet.datasets.text import TextDataset
from glassnet.errors import InvalidArgumentError
from glassnet.layers import Embedding, GlobalAveragePooling1D, Dense, TextVectorization

KERAS = json.loads((Path(__file__).parent / "fixtures" / "keras_text.json").read_text())
TEXTS = ['The cat sat.', 'The dog sat on the cat!', "Don't STOP, the cat-dog", 'a b b', 'b c']
QUERY = ['the bird sat on a cat cat', "don't", '']
CASES = {'int': dict(), 'int_len': dict(output_sequence_length=4), 'max': dict(max_tokens=5, output_sequence_length=3),
         'multi': dict(output_mode='multi_hot'), 'count': dict(output_mode='count', max_tokens=6),
         'tfidf': dict(output_mode='tf_idf'), 'ngrams': dict(ngrams=2, output_mode='count'),
         'char': dict(split='character', standardize='lower', output_sequence_length=8),
         'nostd': dict(standardize=None, split='whitespace'),
         'pad': dict(output_mode='multi_hot', max_tokens=20, pad_to_max_tokens=True)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_vocabulary_and_outputs_match_keras(case):
    layer = TextVectorization(**CASES[case])
    layer.adapt(np.array(TEXTS))
    assert layer.get_vocabulary() == KERAS[case]["vocab"]
    out = layer(np.array(QUERY))
    expected = np.array(KERAS[case]["out"])
    assert out.dtype == (torch.int64 if CASES[case].get("output_mode", "int") == "int" else torch.float32)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_config_round_trip_keeps_vocabulary_and_idf_weights():
    layer = TextVectorization(output_mode="tf_idf", ngrams=(1, 2), name="tv")
    layer.adapt(TEXTS)
    config = json.loads(json.dumps(layer.get_config()))  # plain JSON, no pickle
    again = TextVectorization.from_config(config)
    assert again.get_vocabulary() == layer.get_vocabulary()
    torch.testing.assert_close(again(QUERY), layer(QUERY))


def test_vocabulary_argument_accepts_the_special_tokens_in_front_and_a_file(tmp_path):
    with_special = TextVectorization(vocabulary=["", "[UNK]", "cat", "sat"])
    plain = TextVectorization(vocabulary=["cat", "sat"])
    path = tmp_path / "vocab.txt"
    path.write_text("cat\nsat\n")
    from_file = TextVectorization(vocabulary=str(path))
    for layer in (with_special, plain, from_file):
        assert layer.get_vocabulary() == ["", "[UNK]", "cat", "sat"]
        assert layer(["Cat sat, dog!"]).tolist() == [[2, 3, 1]]


def test_callables_standardize_and_split():
    layer = TextVectorization(standardize=lambda s: s.upper(), split=lambda s: s.split("-"))
    layer.adapt(["a-b-b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "A"]
    with pytest.raises(InvalidArgumentError, match="cannot be saved as JSON"):
        layer.get_config()


def test_adapt_on_a_text_dataset_and_vectorize_in_map():
    ds = TextDataset(TEXTS, [0, 1, 0, 1, 1], batch_size=2, shuffle=False)
    layer = TextVectorization(output_sequence_length=5)
    layer.adapt(ds)  # the x of each (x, y) batch
    reference = TextVectorization(output_sequence_length=5)
    reference.adapt(TEXTS)
    assert layer.get_vocabulary() == reference.get_vocabulary()
    x, y = next(iter(ds.map(lambda x, y: (layer(x), y))))
    assert x.shape == (2, 5) and x.dtype == torch.int64 and y.tolist() == [0, 1]


def test_a_model_trains_on_vectorized_text_from_the_pipeline():
    texts = ["good great fine", "bad awful poor"] * 16
    ds = TextDataset(texts, [1, 0] * 16, batch_size=8, seed=0, label_mode="binary")
    vectorize = TextVectorization(output_sequence_length=3)
    vectorize.adapt(texts)
    model = glassnet.Sequential([Embedding(vectorize.vocabulary_size(), 4), GlobalAveragePooling1D(),
                                 Dense(1, activation="sigmoid")])
    model.compile(optimizer=glassnet.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(ds.map(lambda x, y: (vectorize(x), y)), epochs=10, verbose=0)
    assert history.history["accuracy"][-1] == 1.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(standardize="upper"), "standardize must be one of"),
    (dict(split="comma"), "split must be"),
    (dict(split=None, ngrams=2), "ngrams need split"),
    (dict(output_mode="multi_hot", output_sequence_length=3), "output_sequence_length only applies"),
    (dict(output_mode="bag"), "output_mode must be one of"),
    (dict(max_tokens=2), "leaves no room"),
    (dict(output_mode="tf_idf", vocabulary=["a"]), "give idf_weights"),
])
def test_bad_arguments_say_what_to_do(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        TextVectorization(**kwargs)


def test_more_than_one_string_per_sample_is_refused():
    layer = TextVectorization(vocabulary=["a"])
    with pytest.raises(InvalidArgumentError, match=r"one string per sample"):
        layer([["a", "b"]])
