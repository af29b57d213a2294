"""The worked sequence examples (glassnet/examples/sequences.py) reach their outcomes on the real data."""

from __future__ import annotations

import numpy as np
import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
except ImportError:
    from conftest import require_data
from glassnet.examples import sequences


def test_baselines_against_their_definitions():
    series = np.arange(40.0)
    assert sequences.seasonal_naive(series, 24).tolist() == list(range(4, 28))
    errors = sequences.errors(np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 1.0]))
    assert errors == pytest.approx({"mae": 4 / 3, "rmse": np.sqrt(10 / 3)})
    text = "aab"
    p = np.array([2, 1]) / 3
    assert sequences.unigram_entropy(text) == pytest.approx(-(p * np.log(p)).sum())


def test_bag_of_words_baseline_counts_words():
    train = ["good film", "bad film", "so good", "so bad", "good", "bad"]
    assert sequences.bag_of_words_baseline(train, [1, 0, 1, 0, 1, 0], ["a good one", "a bad one"], [1, 0]) == 1.0


@pytest.mark.slow
def test_airline_lstm_beats_seasonal_naive_on_the_last_24_months():
    require_data("timeseries", "airline-passengers.csv")
    result = sequences.airline_forecast()
    assert result.naive_mae == pytest.approx(47.5833, abs=1e-3)  # 1959-60 against 1958-59
    assert result.lstm_mae < 0.7 * result.naive_mae and result.lstm_rmse < 0.7 * result.naive_rmse


@pytest.mark.slow
def test_char_lstm_validation_loss_is_well_below_the_unigram_baseline_and_it_generates():
    require_data("text", "tinyshakespeare.txt")
    result = sequences.char_language_model()
    assert 3.2 < result.unigram_loss < 3.4  # ~65 characters, by frequency
    assert result.val_loss < result.unigram_loss - 0.6
    lookup = result.extras["lookup"]
    greedy = sequences.generate(result.model, lookup, "ROMEO:", length=40, temperature=0)
    assert greedy == sequences.generate(result.model, lookup, "ROMEO:", length=40, temperature=0)
    assert greedy.startswith("ROMEO:") and len(greedy) == 46 and set(greedy) <= set(lookup.get_vocabulary())
    hot = sequences.generate(result.model, lookup, "ROMEO:", length=200, temperature=2.0, seed=0)
    cold = sequences.generate(result.model, lookup, "ROMEO:", length=200, temperature=0.3, seed=0)
    assert len(set(hot)) > len(set(cold))  # a higher temperature spreads the choices over more characters


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lstm", "bigru"])
def test_sentiment_recurrent_classifier_is_close_to_the_tuned_bag_of_words_baseline(kind):
    # Measured (README, seeds 0-4): LSTM 0.790 ± 0.012, Bidirectional GRU 0.806 ± 0.011 held-out accuracy;
    # the logistic regression (C tuned on the same dev split) 0.804 ± 0.001. They tie; neither reliably
    # beats word counts on 2,400 sentences, so the test asks for the mean of two seeds to be close.
    require_data("text", "sentiment")
    results = [sequences.sentiment(kind=kind, seed=seed) for seed in range(2)]
    accuracy = np.mean([r.accuracy for r in results])
    baseline = np.mean([r.baseline_accuracy for r in results])
    assert baseline == pytest.approx(0.805, abs=0.01)
    assert accuracy > baseline - 0.03
    assert all(1 <= r.epochs < 20 for r in results)  # early stopping on the dev split chose the epochs


def test_bag_of_words_baseline_picks_c_on_the_dev_split():
    train = ["good film", "bad film", "so good", "so bad", "good", "bad", "a good one", "a bad one"]
    labels = [1, 0, 1, 0, 1, 0, 1, 0]
    accuracy = sequences.bag_of_words_baseline(train[:6], labels[:6], ["good", "bad"], [1, 0], train[6:], labels[6:])
    assert accuracy == 1.0
