"""How robust is a classifier? Accuracy as the attack budget grows, and pictures of what the attack did.

>>> import numpy as np
>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Sequential
>>> model = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
>>> model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, 'float32')])
>>> curve = accuracy_vs_epsilon(model, np.array([[0.7, 0.3]], 'float32'), np.array([0]), [0.0, 0.1, 0.3])
>>> curve.accuracies
[1.0, 1.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from glassnet.adversarial.attacks import ATTACKS
from glassnet.naming import lookup


def predict_classes(model: Any, x: Any, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The predicted class of each input and its probability (the model's largest output).

    >>> from glassnet.layers import Dense, Input
    >>> from glassnet.models import Sequential
    >>> model = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
    >>> model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, 'float32')])
    >>> predict_classes(model, np.array([[0.0, 5.0]], 'float32'))[0].tolist()
    [1]
    """
    x = x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x, dtype=np.float32)
    outputs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if outputs.min() < 0 or not np.allclose(outputs.sum(-1), 1.0, atol=1e-3):  # scores, not probabilities
        outputs = torch.softmax(torch.as_tensor(outputs), -1).numpy()
    return outputs.argmax(-1), outputs.max(-1)


@dataclass
class RobustnessCurve:
    """Accuracy on attacked inputs for each ``epsilon`` (``epsilon = 0``: clean accuracy)."""

    epsilons: list[float]
    accuracies: list[float]
    attack: str
    options: dict = field(default_factory=dict)

    def __str__(self) -> str:
        rows = "\n".join(f"  eps={e:<8.4g} accuracy={a:.3f}" for e, a in zip(self.epsilons, self.accuracies))
        return f"{self.attack.upper()} robustness curve\n{rows}"

    def plot(self, path: str | Path | None = None, ax: Any = None, label: str | None = None):
        """Draw accuracy against epsilon (on ``ax`` if given); save a PNG at ``path``; returns the axes.

        >>> import tempfile, os
        >>> curve = RobustnessCurve([0.0, 0.1], [0.99, 0.2], 'fgsm')
        >>> path = os.path.join(tempfile.mkdtemp(), 'curve.png'); _ = curve.plot(path)
        >>> os.path.getsize(path) > 0
        True
        """
        from glassnet.plots import plt
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot(self.epsilons, self.accuracies, "o-", label=label or self.attack.upper())
        ax.set_xlabel("epsilon (L-infinity, input units)")
        ax.set_ylabel("accuracy")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend()
        if fig is not None:
            ax.set_title("Accuracy under attack")
            fig.tight_layout()
            if path is not None:
                _save(fig, path)
        return ax


def accuracy_vs_epsilon(model: Any, x: Any, y: Any, epsilons: Sequence[float], attack: str = "fgsm",
                        **attack_options: Any) -> RobustnessCurve:
    """Accuracy of ``model`` on ``(x, y)`` attacked by ``attack`` ('fgsm' or 'pgd', or a function
    ``attack(model, x, y, epsilon, **options)``) at each epsilon; options go to the attack.

    >>> from glassnet.layers import Dense, Input
    >>> from glassnet.models import Sequential
    >>> model = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
    >>> model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, 'float32')])
    >>> print(accuracy_vs_epsilon(model, np.array([[0.6, 0.4]], 'float32'), [0], [0.0, 0.2], 'pgd', seed=0))
    PGD robustness curve
      eps=0        accuracy=1.000
      eps=0.2      accuracy=0.000
    """
    function = lookup("attack", attack, ATTACKS) if isinstance(attack, str) else attack
    labels = np.asarray(y.cpu() if torch.is_tensor(y) else y)
    labels = labels.argmax(-1) if labels.ndim == 2 and labels.shape[1] > 1 else labels.reshape(-1)
    accuracies = []
    for epsilon in epsilons:
        attacked = function(model, x, labels, float(epsilon), **attack_options) if epsilon else x
        accuracies.append(float((predict_classes(model, attacked)[0] == labels).mean()))
    name = attack if isinstance(attack, str) else getattr(attack, "__name__", "attack")
    return RobustnessCurve([float(e) for e in epsilons], accuracies, name, dict(attack_options))


def _save(fig: Any, path: str | Path) -> None:
    """Write ``fig`` as a PNG (atomically) and release it (the figure object stays usable)."""
    from glassnet.plots import save_figure
    save_figure(fig, path)


def _as_image(x: np.ndarray) -> np.ndarray:
    return x[..., 0] if x.ndim == 3 and x.shape[-1] == 1 else x


def plot_adversarial_examples(model: Any, x: Any, x_adversarial: Any, path: str | Path | None = None,
                              class_names: Sequence[str] | None = None, n: int = 4,
                              value_range: tuple[float, float] = (0.0, 1.0), title: str | None = None):
    """One row per example: the image | the perturbation, amplified to fill the grey range | the adversarial
    image, with the predicted class and its probability above each image. Images are (N, H, W[, C]) in
    ``value_range``. Returns the figure (also saved as PNG at ``path``).

    >>> import numpy as np, tempfile, os
    >>> from glassnet.layers import Flatten, Dense, Input
    >>> from glassnet.models import Sequential
    >>> model = Sequential([Input(shape=(4, 4, 1)), Flatten(), Dense(3, activation='softmax')])
    >>> x = np.random.rand(2, 4, 4, 1).astype('float32')
    >>> path = os.path.join(tempfile.mkdtemp(), 'side.png')
    >>> _ = plot_adversarial_examples(model, x, np.clip(x + 0.05, 0, 1), path, n=2)
    >>> os.path.getsize(path) > 0
    True
    """
    from glassnet.plots import plt
    x = np.asarray(x, dtype=np.float32)[:n]
    adv = np.asarray(x_adversarial.detach().cpu() if torch.is_tensor(x_adversarial) else x_adversarial,
                     dtype=np.float32)[:n]
    low, high = value_range
    (clean_cls, clean_p), (adv_cls, adv_p) = predict_classes(model, x), predict_classes(model, adv)
    delta = adv - x
    scale = float(np.abs(delta).max()) or 1.0
    name = (lambda c: class_names[c]) if class_names is not None else str
    fig, axes = plt.subplots(len(x), 3, figsize=(7.5, 2.5 * len(x)), squeeze=False)
    for i in range(len(x)):
        panels = [((x[i] - low) / (high - low), f"{name(clean_cls[i])} ({clean_p[i]:.0%})"),
                  (0.5 + 0.5 * delta[i] / scale, f"perturbation x{0.5 * (high - low) / scale:.0f}"),
                  ((adv[i] - low) / (high - low), f"{name(adv_cls[i])} ({adv_p[i]:.0%})")]
        for ax, (image, label) in zip(axes[i], panels):
            ax.imshow(np.clip(_as_image(image), 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_title(label, fontsize=9, color="crimson" if ax is axes[i][2] and adv_cls[i] != clean_cls[i]
                         else "black")
            ax.axis("off")
    fig.suptitle(title or f"image | perturbation (max {scale:.3g}, amplified) | adversarial image", fontsize=10)
    fig.tight_layout()
    if path is not None:
        _save(fig, path)
    return fig


__all__ = ["accuracy_vs_epsilon", "RobustnessCurve", "predict_classes", "plot_adversarial_examples"]
