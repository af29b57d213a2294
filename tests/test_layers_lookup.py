"""StringLookup, IntegerLookup, CategoryEncoding and one_hot_words against Keras 3 (tests/fixtures/keras_text.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import glassnet
from glassnet.errors import InvalidArgumentError, LabelError
from glassnet.layers import CategoryEncoding, IntegerLookup, StringLookup
from glassnet.utils import one_hot_words

KERAS = json.loads((Path(__file__).parent / "fixtures" / "keras_text.json").read_text())


def test_string_lookup_adapt_orders_by_frequency_like_keras():
    layer = StringLookup()
    layer.adapt(np.array([["cat", "dog", "cat"], ["fish", "cat", "dog"]]))
    assert layer.get_vocabulary() == KERAS["sl_vocab"]


def test_mask_token_is_index_0_in_int_mode_and_dropped_in_count_mode():
    layer = StringLookup(vocabulary=["a", "b", "c"], mask_token="[MASK]")
    assert layer.get_vocabulary() == KERAS["sl_mask"]["vocab"]
    assert layer(np.array([["a", "[MASK]", "z"]])).tolist() == KERAS["sl_mask"]["out"]
    count = StringLookup(vocabulary=["a", "b", "c"], mask_token="[MASK]", output_mode="count")
    assert count.get_vocabulary() == KERAS["sl_mask_count"]["vocab"]
    assert count([["a", "[MASK]", "z", "a"]]).tolist() == KERAS["sl_mask_count"]["out"]


def test_integer_lookup_adapt_invert_and_one_hot_match_keras():
    layer = IntegerLookup()
    layer.adapt(np.array([[12, 1138, 42], [42, 1000, 36], [42, 12, 7]]))
    assert layer.get_vocabulary() == KERAS["il"]["vocab"]
    assert layer(np.array([[12, 5]])).tolist() == KERAS["il"]["out"]
    assert IntegerLookup(vocabulary=[12, 36], invert=True)([[2, 0, 1]]).tolist() == KERAS["il_inv"]
    assert IntegerLookup(vocabulary=[12, 36], output_mode="one_hot")([36, 12, 9]).tolist() == KERAS["il_onehot"]


def test_several_oov_indices_share_the_unknown_tokens_deterministically():
    layer = StringLookup(num_oov_indices=2, vocabulary=["a"])
    assert layer.get_vocabulary() == KERAS["sl_oov2_vocab"]
    ids = layer(["a", "x", "y", "x"]).tolist()
    assert ids[0] == 2 and set(ids[1:]) <= {0, 1} and ids[1] == ids[3]


def test_invert_round_trips_and_string_ids_come_back_as_strings():
    layer = StringLookup(vocabulary=["the", "cat"])
    inverse = StringLookup(vocabulary=["the", "cat"], invert=True)
    tokens = np.array([["the", "cat", "dog"]], dtype=object)
    assert inverse(layer(tokens)).tolist() == [["the", "cat", "[UNK]"]]


def test_tf_idf_weights_and_config_round_trip_through_json():
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt([["a", "a", "b"], ["b", "c", "c"]])
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "a"]  # equal counts: Keras' reverse order
    # Keras: idf = log(1 + documents / (1 + documents holding the token)); OOV gets their mean
    idf = np.log(1 + 2 / (1 + np.array([1, 2, 1])))
    np.testing.assert_allclose(layer.idf_weights, np.r_[idf.mean(), idf], rtol=1e-6)
    np.testing.assert_allclose(layer([["a", "a", "z"]]).numpy(), [[idf.mean(), 0, 0, 2 * idf[2]]], rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="different lengths"):
        layer.adapt([["a", "b"], ["c"]])
    again = StringLookup.from_config(json.loads(json.dumps(layer.get_config())))
    torch.testing.assert_close(again([["a", "c", "z"]]), layer([["a", "c", "z"]]))


def test_vocabulary_errors_say_what_to_do():
    with pytest.raises(InvalidArgumentError, match="repeats"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(InvalidArgumentError, match="num_oov_indices=0"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(["b"])
    with pytest.raises(InvalidArgumentError, match="exceeds max_tokens"):
        StringLookup(vocabulary=["a", "b"], max_tokens=2)
    with pytest.raises(InvalidArgumentError, match="invert=True"):
        StringLookup(invert=True, output_mode="multi_hot")
    with pytest.raises(InvalidArgumentError, match="outside"):
        StringLookup(vocabulary=["a"], invert=True)([5])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_matches_keras(mode):
    layer = CategoryEncoding(num_tokens=4, output_mode=mode)
    assert layer(np.array([3, 0, 1])).tolist() == KERAS[f"ce_{mode}_1d"]
    if mode != "one_hot":
        assert layer(np.array([[0, 1, 1], [3, 3, 2]])).tolist() == KERAS[f"ce_{mode}_2d"]


def test_category_encoding_matches_torch_one_hot_and_bincount():
    ids = torch.randint(0, 7, (50,))
    torch.testing.assert_close(CategoryEncoding(7, output_mode="one_hot")(ids),
                               torch.nn.functional.one_hot(ids, 7).float())
    torch.testing.assert_close(CategoryEncoding(7, output_mode="count")(ids), torch.bincount(ids, minlength=7).float())
    weights = torch.rand(50)
    torch.testing.assert_close(CategoryEncoding(7, output_mode="count")(ids, count_weights=weights),
                               torch.bincount(ids, weights=weights, minlength=7).float())


def test_category_encoding_in_a_functional_model_and_errors():
    inputs = glassnet.layers.Input((3,), dtype="int64")
    model = glassnet.Model(inputs, glassnet.layers.Dense(2)(CategoryEncoding(5)(inputs)))
    assert model(torch.tensor([[0, 4, 4]])).shape == (1, 2)
    with pytest.raises(InvalidArgumentError, match="out of range for num_tokens=5"):
        CategoryEncoding(5)([[5]])
    with pytest.raises(InvalidArgumentError, match="negative"):
        CategoryEncoding(5)([[-1]])


def test_one_hot_words_is_the_course_encoding_and_equals_string_lookup():
    dictionary = ["EOS", "a", "cat", "my", "sleeps"]
    vectors, _ = one_hot_words(["my cat sleeps", "a cat"], vocabulary=dictionary)
    assert vectors.shape == (2, 4, 5)
    lookup = StringLookup(vocabulary=dictionary, num_oov_indices=0, output_mode="one_hot")
    np.testing.assert_array_equal(vectors[0], lookup(["my", "cat", "sleeps", "EOS"]).numpy())
    np.testing.assert_array_equal(vectors[1, 2:], [[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]])  # EOS, then padding
    with pytest.raises(LabelError, match=r"\['dog'\] are not in the dictionary"):
        one_hot_words("my dog", vocabulary=dictionary)


@pytest.mark.parametrize("make, data", [
    (lambda: IntegerLookup(max_tokens=5, num_oov_indices=2, mask_token=0), [[7, 7, 9, 0], [3, 9, 9, 11]]),
    (lambda: StringLookup(output_mode="count", pad_to_max_tokens=True, max_tokens=8), [["x", "y", "x"]]),
    (lambda: CategoryEncoding(6, output_mode="count"), None),
])
def test_config_round_trip_through_json(make, data):
    layer = make()
    if data is not None:
        layer.adapt(data)
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == layer.get_config()
    query = data if data is not None else [[0, 5, 5]]
    torch.testing.assert_close(rebuilt(query), layer(query))
