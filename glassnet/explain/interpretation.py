"""A classifier's mistakes, examined: confusion matrix, most-confused pairs, top losses, per-class report,
and for two classes the ROC curve, its AUC, Youden's threshold and a calibration plot
(after fastai's ``ClassificationInterpretation``).

>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Sequential
>>> net = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
>>> x = np.array([[1., 0.], [0., 1.], [1., 1.], [0., 0.]], np.float32)
>>> result = interpret(net, x, [0, 1, 1, 0], class_names=['no', 'yes'])
>>> int(result.confusion.sum()), result.top_losses(1)[0].index in range(4)
(4, True)
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError, LabelError
from glassnet.explain.figures import figure_png, new_figure, save_figure
from glassnet.explain.targets import as_batch, scores
from glassnet.modes import evaluating


@dataclass(frozen=True)
class Loss:
    """One row of :meth:`Interpretation.top_losses`: the sample's index, its predicted and actual
    class (names), the probability given to the prediction and to the truth, and the loss."""

    index: int
    predicted: str
    actual: str
    probability: float
    actual_probability: float
    loss: float


def _labels(y: Any) -> np.ndarray:
    arr = np.asarray(y.detach().cpu() if torch.is_tensor(y) else y)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return arr.argmax(1).astype(np.int64)  # one-hot
    return arr.reshape(len(arr)).astype(np.int64)


def _outputs(model: torch.nn.Module, x: Any, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(log-probabilities (N, classes), probabilities) from the model's scores; a 1-column output is
    the probability of class 1 (sigmoid)."""
    chunks = []
    with torch.no_grad(), evaluating(model):
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size]
            batch = as_batch(model, batch) if np.ndim(batch) == 4 else torch.as_tensor(
                np.asarray(batch), dtype=torch.float32)
            out = model(batch)
            s = scores(out)
            chunks.append(_log_probs(out, s is not out or _looks_like_logits(out), s))
    log_p = torch.cat(chunks).double()
    return log_p.numpy(), log_p.exp().numpy()


def _looks_like_logits(out: torch.Tensor) -> bool:
    if out.shape[1] == 1:
        return bool(out.min() < 0 or out.max() > 1)
    return bool(out.min() < 0 or out.max() > 1 or not torch.allclose(out.sum(1), torch.ones(len(out)), atol=1e-3))


def _log_probs(out: torch.Tensor, are_logits: bool, s: torch.Tensor) -> torch.Tensor:
    z = (s if are_logits else out).float().cpu()
    if z.shape[1] == 1:
        if are_logits:
            return torch.cat([torch.nn.functional.logsigmoid(-z), torch.nn.functional.logsigmoid(z)], 1)
        p = z.clamp(1e-7, 1 - 1e-7)
        return torch.cat([torch.log1p(-p), torch.log(p)], 1)
    return torch.log_softmax(z, 1) if are_logits else torch.log(z.clamp_min(1e-7))


class Interpretation:
    """The results of :func:`interpret` (see the module docstring). Attributes: ``y_true``, ``y_pred``,
    ``probabilities`` (N, classes), ``losses`` (per-sample crossentropy), ``confusion`` (counts; rows
    actual, columns predicted), ``class_names``; for two classes also ``auc`` and ``youden_threshold``."""

    def __init__(self, model: torch.nn.Module, x: Any, y_true: np.ndarray, log_probs: np.ndarray,
                 class_names: Sequence[str]):
        from sklearn.metrics import confusion_matrix
        self.model, self.x = model, x
        self.y_true = y_true
        self.probabilities = np.exp(log_probs)
        self.y_pred = self.probabilities.argmax(1)
        self.losses = -log_probs[np.arange(len(y_true)), y_true]
        self.class_names = list(class_names)
        self.confusion = confusion_matrix(y_true, self.y_pred, labels=range(len(self.class_names)))

    # ------------------------------------------------------------------ numbers
    @property
    def accuracy(self) -> float:
        """Fraction of samples predicted right."""
        return float((self.y_true == self.y_pred).mean())

    @property
    def confusion_normalized(self) -> np.ndarray:
        """The confusion matrix with each row (actual class) divided by its count: recall on the diagonal."""
        rows = self.confusion.sum(1, keepdims=True)
        return self.confusion / np.maximum(rows, 1)

    def most_confused(self, min_count: int = 1) -> list[tuple[str, str, int]]:
        """(actual, predicted, count) for every off-diagonal cell with at least ``min_count``, largest first."""
        cells = [(self.class_names[a], self.class_names[p], int(self.confusion[a, p]))
                 for a in range(len(self.confusion)) for p in range(len(self.confusion))
                 if a != p and self.confusion[a, p] >= min_count]
        return sorted(cells, key=lambda c: -c[2])

    def top_losses(self, k: int = 9) -> list[Loss]:
        """The ``k`` samples with the highest loss (the model's worst mistakes), highest first."""
        order = np.argsort(-self.losses, kind="stable")[:k]
        return [Loss(int(i), self.class_names[self.y_pred[i]], self.class_names[self.y_true[i]],
                     float(self.probabilities[i, self.y_pred[i]]), float(self.probabilities[i, self.y_true[i]]),
                     float(self.losses[i])) for i in order]

    def classification_report(self, output_dict: bool = False) -> Any:
        """Per-class precision, recall, F1 and support (scikit-learn's report)."""
        from sklearn.metrics import classification_report
        return classification_report(self.y_true, self.y_pred, labels=range(len(self.class_names)),
                                     target_names=self.class_names, output_dict=output_dict, zero_division=0)

    @property
    def binary(self) -> bool:
        """Whether there are exactly two classes (then ROC, AUC, Youden and calibration apply)."""
        return len(self.class_names) == 2

    def _require_binary(self, what: str) -> None:
        if not self.binary:
            raise InvalidArgumentError(f"Interpretation.{what} is for two classes; this model has "
                                       f"{len(self.class_names)}. Use the confusion matrix and classification_report.")

    def roc_curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(false positive rate, true positive rate, thresholds) of the positive class (index 1)."""
        from sklearn.metrics import roc_curve
        self._require_binary("roc_curve")
        return roc_curve(self.y_true, self.probabilities[:, 1])

    @property
    def auc(self) -> float:
        """Area under the ROC curve."""
        from sklearn.metrics import roc_auc_score
        self._require_binary("auc")
        return float(roc_auc_score(self.y_true, self.probabilities[:, 1]))

    @property
    def youden_threshold(self) -> float:
        """The threshold on P(class 1) that maximises Youden's J = sensitivity + specificity − 1."""
        fpr, tpr, thresholds = self.roc_curve()
        return float(min(thresholds[int(np.argmax(tpr - fpr))], 1.0))

    # ------------------------------------------------------------------ pictures
    def plot_confusion_matrix(self, path: str | os.PathLike | None = "confusion_matrix.png",
                              normalize: bool = False) -> Any:
        """The confusion matrix as a picture (counts, or row-normalised): a PNG at ``path``, or PNG bytes
        with ``path=None``."""
        n = len(self.class_names)
        matrix = self.confusion_normalized if normalize else self.confusion
        fig, axes = new_figure(1, 1, (max(4, 0.6 * n + 2.5), max(3.5, 0.6 * n + 2)))
        ax = axes[0, 0]
        ax.imshow(matrix, cmap="Blues", vmin=0)
        for (a, p), v in np.ndenumerate(matrix):
            if n <= 20:
                ax.text(p, a, f"{v:.2f}" if normalize else f"{int(v)}", ha="center", va="center", fontsize=8,
                        color="white" if v > matrix.max() / 2 else "black")
        ax.set_xticks(range(n), self.class_names, rotation=90 if n > 4 else 0, fontsize=8)
        ax.set_yticks(range(n), self.class_names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("actual")
        ax.set_title(f"Confusion matrix{' (rows normalised)' if normalize else ''}: accuracy {self.accuracy:.1%}")
        fig.tight_layout()
        return figure_png(fig) if path is None else save_figure(fig, path)

    def plot_top_losses(self, k: int = 9, path: str | os.PathLike = "top_losses.png", grad_cam: bool = True) -> str:
        """The ``k`` worst images with predicted/actual/probability/loss, with their Grad-CAM for the
        predicted class overlaid when the model is convolutional (``grad_cam=False``: plain images)."""
        from glassnet.explain.overlay import overlay
        rows = self.top_losses(k)
        index = [r.index for r in rows]
        images = np.asarray(self.x)[index]
        if images.ndim != 4:
            raise InvalidArgumentError(f"plot_top_losses draws images (N, H, W, C); these samples have shape "
                                       f"{images.shape[1:]}. Print top_losses(k) instead.")
        maps = _grad_cam_or_none(self.model, images) if grad_cam else None
        if maps is None:
            maps = np.zeros(images.shape[:3])
        titles = [f"{r.predicted}/{r.actual}\n{r.probability:.2f} · loss {r.loss:.2f}" for r in rows]
        return overlay(images, maps, class_names=titles, predicted=range(len(rows)), path=path,
                       alpha=0.45 if maps.any() else 0.0, title="Top losses: predicted/actual, probability, loss")

    def plot_roc(self, path: str | os.PathLike | None = "roc.png") -> Any:
        """The ROC curve with its AUC and Youden's threshold marked (binary only)."""
        fpr, tpr, thresholds = self.roc_curve()
        best = int(np.argmax(tpr - fpr))
        fig, axes = new_figure(1, 1, (4.5, 4.2))
        ax = axes[0, 0]
        ax.plot(fpr, tpr, label=f"ROC (AUC {self.auc:.3f})")
        ax.plot([0, 1], [0, 1], "k--", alpha=0.4, label="chance")
        ax.plot(fpr[best], tpr[best], "ro", label=f"Youden J={tpr[best] - fpr[best]:.2f} at {self.youden_threshold:.3f}")
        ax.set_xlabel("false positive rate (1 − specificity)")
        ax.set_ylabel("true positive rate (sensitivity)")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return figure_png(fig) if path is None else save_figure(fig, path)

    def plot_calibration(self, path: str | os.PathLike | None = "calibration.png", bins: int = 10) -> Any:
        """Reliability diagram: the fraction of positives against the mean predicted probability per bin."""
        from sklearn.calibration import calibration_curve
        self._require_binary("plot_calibration")
        frac, mean = calibration_curve(self.y_true, self.probabilities[:, 1], n_bins=bins)
        fig, axes = new_figure(1, 1, (4.5, 4.2))
        ax = axes[0, 0]
        ax.plot(mean, frac, "o-", label="model")
        ax.plot([0, 1], [0, 1], "k--", alpha=0.4, label="perfectly calibrated")
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("fraction of positives")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return figure_png(fig) if path is None else save_figure(fig, path)

    # ------------------------------------------------------------------ printing
    def __str__(self) -> str:
        lines = [f"{len(self.y_true)} samples, {len(self.class_names)} classes, accuracy {self.accuracy:.1%}"]
        confused = self.most_confused()[:5]
        if confused:
            lines.append("Most confused (actual -> predicted: count): " +
                         ", ".join(f"{a} -> {p}: {c}" for a, p, c in confused))
        worst = self.top_losses(3)
        lines.append("Top losses: " + ", ".join(f"#{r.index} {r.actual} taken for {r.predicted} "
                                               f"(p={r.probability:.2f}, loss {r.loss:.2f})" for r in worst))
        if self.binary and len(np.unique(self.y_true)) == 2:
            lines.append(f"AUC {self.auc:.3f} · Youden threshold {self.youden_threshold:.3f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Interpretation: {len(self.y_true)} samples, accuracy {self.accuracy:.1%}>"

    def __rich__(self):
        """rich's hook: the summary, the confusion matrix as a table, and the report."""
        from rich.console import Group
        from rich.table import Table
        table = Table(title="Confusion matrix (rows: actual, columns: predicted)", title_justify="left")
        table.add_column("")
        for name in self.class_names:
            table.add_column(name[:10], justify="right")
        for i, (name, row) in enumerate(zip(self.class_names, self.confusion)):
            table.add_row(name[:16], *(f"[bold]{v}[/]" if i == j else str(v) for j, v in enumerate(row)))
        return Group(str(self), table, self.classification_report())

    def _repr_png_(self) -> bytes:
        return self.plot_confusion_matrix(path=None)

    def _repr_html_(self) -> str:
        png = base64.b64encode(self.plot_confusion_matrix(path=None)).decode()
        return (f"<div><pre>{html.escape(str(self))}</pre><img src='data:image/png;base64,{png}'/>"
                f"<pre>{html.escape(self.classification_report())}</pre></div>")


def _grad_cam_or_none(model: torch.nn.Module, images: np.ndarray) -> np.ndarray | None:
    from glassnet.errors import ShapeError
    from glassnet.explain.attribution import grad_cam
    try:
        return grad_cam(model, images)
    except ShapeError:  # not a convnet: no feature map to explain
        return None


def interpret(model: torch.nn.Module, x: Any, y: Any, class_names: Sequence[str] | None = None,
              batch_size: int = 256) -> Interpretation:
    """Run ``model`` on ``x`` (eval mode, no gradients, the model left as it was) and compare with the
    labels ``y`` (class indices or one-hot): returns an :class:`Interpretation`."""
    y_true = _labels(y)
    if len(y_true) != len(x):
        raise LabelError(f"interpret: {len(x)} samples but {len(y_true)} labels; pass one label per sample.")
    log_probs, _ = _outputs(model, x, batch_size)
    classes = log_probs.shape[1]
    names = list(class_names) if class_names is not None else [str(i) for i in range(classes)]
    if len(names) != classes:
        raise InvalidArgumentError(f"interpret: {len(names)} class_names for a model with {classes} classes; pass one "
                                   "name per class.")
    if y_true.min() < 0 or y_true.max() >= classes:
        raise LabelError(f"interpret: labels range {y_true.min()}..{y_true.max()} but the model has {classes} "
                         f"classes (0..{classes - 1}).")
    return Interpretation(model, x, y_true, log_probs, names)


__all__ = ["interpret", "Interpretation", "Loss"]
