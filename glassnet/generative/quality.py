"""How good are generated images? A "classifier score" from a classifier trained on the real data.

Salimans et al. (2016) scored GANs with an ImageNet Inception network; for MNIST-sized data a
small classifier trained on the real images plays that part (as GAN courses do). Two things
make a good generator: each image is clearly one class (a confident, low-entropy ``p(y|x)``)
and the images cover all the classes (a spread-out marginal ``p(y)``). The score combines both:

    score = exp( E_x KL( p(y|x) || p(y) ) )

It lies between 1 (every image gets the same prediction) and the number of classes (each image
is confidently one class and all classes are equally frequent). :func:`classifier_score` also
reports the share of images classified with confidence above a threshold and the classes' spread
(the exponential of the marginal's entropy: the "effective number of classes" drawn).

>>> import numpy as np
>>> sharp_and_spread = np.eye(10)[np.arange(100) % 10]           # confident, all ten classes
>>> round(score_from_probabilities(sharp_and_spread)['score'], 3)
10.0
>>> round(score_from_probabilities(np.full((100, 10), 0.1))['score'], 3)  # unsure: no information
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.callbacks.base import Callback


def score_from_probabilities(probabilities: Any, confidence: float = 0.9, eps: float = 1e-12) -> dict[str, float]:
    """The classifier score of class probabilities ``p(y|x)`` (N, classes); see the module docstring.
    Returns ``score``, ``confident_share`` (max probability ≥ ``confidence``) and ``class_spread``
    (exp of the entropy of the mean prediction ``p(y)``: 1 = one class, ``classes`` = uniform).

    >>> r = score_from_probabilities(np.eye(10)[np.zeros(50, int)])  # confident but always class 0
    >>> round(r['score'], 3), r['confident_share'], round(r['class_spread'], 3)
    (1.0, 1.0, 1.0)
    """
    p = np.asarray(probabilities, dtype=np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    marginal = p.mean(axis=0)
    kl = (p * (np.log(p + eps) - np.log(marginal + eps))).sum(axis=1)
    return {"score": float(np.exp(kl.mean())),
            "confident_share": float((p.max(axis=1) >= confidence).mean()),
            "class_spread": float(np.exp(-(marginal * np.log(marginal + eps)).sum()))}


def classifier_score(classifier: Any, images: Any, confidence: float = 0.9, batch_size: int = 256) -> dict[str, float]:
    """:func:`score_from_probabilities` of ``classifier.predict(images)`` (a model ending in a softmax).

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Dense, Flatten, Input
    >>> clf = Sequential([Input(shape=(4, 4, 1)), Flatten(), Dense(3, activation='softmax')])
    >>> 1.0 <= classifier_score(clf, np.random.rand(20, 4, 4, 1))['score'] <= 3.0
    True
    """
    return score_from_probabilities(classifier.predict(images, batch_size=batch_size, verbose=0), confidence)


class ClassifierScore(Callback):
    """After each epoch, generate ``n`` images (fixed codes, ``seed``) and add ``classifier_score``,
    ``confident_share`` and ``class_spread`` to the epoch's logs, so ``History`` (and later
    callbacks: CSVLogger, EarlyStopping...) see them. Put it before callbacks that read them.

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Dense, Input
    >>> ClassifierScore(Sequential([Input(shape=(2,)), Dense(2)]), n=100).n
    100
    """

    def __init__(self, classifier: Any, n: int = 1000, seed: int = 0, confidence: float = 0.9):
        super().__init__()
        self.classifier, self.n, self.seed, self.confidence = classifier, n, seed, confidence

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        images = self.model.generate(self.n, seed=self.seed)
        result = classifier_score(self.classifier, images, self.confidence)
        if logs is not None:
            logs.update({"classifier_score": result["score"], "confident_share": result["confident_share"],
                         "class_spread": result["class_spread"]})


__all__ = ["score_from_probabilities", "classifier_score", "ClassifierScore"]
