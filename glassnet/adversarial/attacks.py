"""FGSM and PGD (L-infinity): small input changes, chosen by the gradient, that fool a model.

Goodfellow et al. ("Explaining and harnessing adversarial examples", 2015) move every
input value by ``epsilon`` in the direction that raises the loss: the *fast gradient
sign method*, ``x' = x + epsilon * sign(grad_x loss(model(x), y))``. *Projected
gradient descent* (Madry et al. 2018) takes ``steps`` such steps of size ``alpha`` from a
random start, projecting back into the ``epsilon`` box after each: a stronger attack.
A *targeted* attack instead lowers the loss of a chosen ``target`` class.

Attacks work in the model's input space: ``epsilon`` is in the units the model is
fed (0.1 = a tenth of the range for pixels in [0, 1]; for MobileNet's [-1, 1] inputs
one 8-bit grey level is 2/255), and results are clipped to the input's value range,
given as ``value_range=(low, high)`` or inferred from the data: [0, 1], [-1, 1] or
[0, 255], whichever contains it (``None``: no clipping). The model is left as it was:
its train/eval modes, its parameters' ``requires_grad`` and their ``.grad``.

>>> import numpy as np
>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Sequential
>>> model = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
>>> model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, 'float32')])  # logits = inputs
>>> fgsm(model, np.array([[0.6, 0.4]], 'float32'), np.array([0]), epsilon=0.1).round(3).tolist()
[[0.5, 0.5]]
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from glassnet import logits
from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.modes import evaluating

Range = tuple[float, float] | None
_KNOWN_RANGES = ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0))


def infer_value_range(x: Any) -> Range:
    """The first of [0, 1], [-1, 1], [0, 255] that contains every value of ``x``; None if none does.

    >>> infer_value_range(np.array([0.0, 0.5])), infer_value_range(np.array([-0.2, 1.0]))
    ((0.0, 1.0), (-1.0, 1.0))
    >>> infer_value_range(np.array([-3.0])) is None
    True
    """
    values = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x)
    low, high = float(values.min()), float(values.max())
    return next((r for r in _KNOWN_RANGES if r[0] <= low and high <= r[1]), None)


@contextmanager
def frozen(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Evaluation mode and no parameter gradients for a moment; both are restored afterwards.

    >>> from glassnet.layers import Dense
    >>> layer = Dense(1, input_dim=1).train()
    >>> with frozen(layer):
    ...     layer.training, layer.weight.requires_grad
    (False, False)
    >>> layer.training, layer.weight.requires_grad
    (True, True)
    """
    parameters = list(model.parameters())
    flags = [p.requires_grad for p in parameters]
    try:
        for p in parameters:
            p.requires_grad_(False)
        with evaluating(model):
            yield model
    finally:
        for p, flag in zip(parameters, flags):
            p.requires_grad_(flag)


def _as_labels(y: Any, n: int, device: torch.device, what: str) -> torch.Tensor:
    labels = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y, device=device)
    if labels.dim() == 2 and labels.shape[1] > 1:  # one-hot
        labels = labels.argmax(1)
    labels = labels.reshape(-1).long()
    if labels.numel() == 1 and n > 1:
        labels = labels.expand(n)
    if labels.numel() != n:
        raise ShapeError(f"{what} has {labels.numel()} labels for {n} inputs; give one class index per input "
                         "(or one for all).")
    return labels


def _log_probabilities(outputs: torch.Tensor) -> torch.Tensor:
    """Log-probabilities from a model's output: its logits when the output carries them (a softmax
    layer), the log of probabilities that sum to 1, or a log-softmax of raw scores."""
    carried = logits.of(outputs, "softmax")
    if carried is not None:
        return F.log_softmax(carried.float(), -1)
    outputs = outputs.float()
    if outputs.min() >= 0 and torch.allclose(outputs.sum(-1), torch.ones((), device=outputs.device), atol=1e-3):
        return outputs.clamp_min(1e-12).log()
    return F.log_softmax(outputs, -1)


def _gradient_sign(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor, targeted: bool) -> torch.Tensor:
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        loss = F.nll_loss(_log_probabilities(model(x)), labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return -grad.sign() if targeted else grad.sign()


def _prepare(model, x, y, target, targeted, value_range, epsilon):
    if epsilon < 0:
        raise InvalidArgumentError(f"epsilon must be >= 0 (a distance in the model's input units); got {epsilon}.")
    if targeted and target is None:
        raise InvalidArgumentError("A targeted attack needs target= (the class index to push every input towards, "
                                   "one per input or one for all).")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_numpy = not torch.is_tensor(x)
    inputs = torch.as_tensor(np.asarray(x, dtype=np.float32) if was_numpy else x, device=device).float()
    wanted = target if targeted else y
    if wanted is None:
        raise InvalidArgumentError("An untargeted attack needs the true labels y (it raises their loss).")
    labels = _as_labels(wanted, len(inputs), device, "target" if targeted else "y")
    bounds = infer_value_range(inputs) if isinstance(value_range, str) and value_range == "infer" else value_range
    return inputs, labels, bounds, was_numpy


def _clip(x: torch.Tensor, bounds: Range) -> torch.Tensor:
    return x if bounds is None else x.clamp(bounds[0], bounds[1])


def _finish(adversarial: torch.Tensor, was_numpy: bool) -> Any:
    return adversarial.cpu().numpy() if was_numpy else adversarial


def fgsm(model: torch.nn.Module, x: Any, y: Any, epsilon: float, targeted: bool = False, target: Any = None,
         value_range: Range | str = "infer", batch_size: int = 256) -> Any:
    """Fast gradient sign method: ``x + epsilon * sign(grad)`` (untargeted, away from ``y``) or
    ``x - epsilon * sign(grad)`` towards ``target`` (``targeted=True``; ``y`` may be None), clipped to
    the value range. Returns numpy for numpy inputs, else a tensor; the model is left unchanged.

    >>> import numpy as np
    >>> from glassnet.layers import Dense, Input
    >>> from glassnet.models import Sequential
    >>> model = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
    >>> model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, 'float32')])  # logits = inputs
    >>> fgsm(model, np.array([[0.6, 0.4]], 'float32'), None, 0.1, targeted=True, target=1).round(3).tolist()
    [[0.5, 0.5]]
    """
    inputs, labels, bounds, was_numpy = _prepare(model, x, y, target, targeted, value_range, epsilon)
    out = []
    with frozen(model):
        for xb, yb in zip(inputs.split(batch_size), labels.split(batch_size)):
            out.append(_clip(xb + epsilon * _gradient_sign(model, xb, yb, targeted), bounds).detach())
    return _finish(torch.cat(out), was_numpy)


def pgd(model: torch.nn.Module, x: Any, y: Any, epsilon: float, alpha: float | None = None, steps: int = 10,
        random_start: bool = True, targeted: bool = False, target: Any = None, value_range: Range | str = "infer",
        batch_size: int = 256, seed: int | None = None) -> Any:
    """Projected gradient descent in the L-infinity ball of radius ``epsilon``: from a random point of the
    ball (``random_start``), ``steps`` signed-gradient steps of size ``alpha`` (default ``epsilon / 4``),
    each followed by projection onto the ball and the value range. ``seed`` fixes the random start.

    >>> import numpy as np
    >>> from glassnet.layers import Dense, Input
    >>> from glassnet.models import Sequential
    >>> model = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
    >>> model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, 'float32')])  # logits = inputs
    >>> x = np.array([[0.6, 0.4]], 'float32')
    >>> float(np.abs(pgd(model, x, np.array([0]), epsilon=0.1, seed=0) - x).max()) <= 0.1 + 1e-6
    True
    """
    inputs, labels, bounds, was_numpy = _prepare(model, x, y, target, targeted, value_range, epsilon)
    alpha = epsilon / 4 if alpha is None else alpha
    generator = torch.Generator(device=inputs.device)
    generator.manual_seed(int(torch.randint(0, 2**31 - 1, ()).item()) if seed is None else seed)
    out = []
    with frozen(model):
        for x0, yb in zip(inputs.split(batch_size), labels.split(batch_size)):
            xb = x0
            if random_start:
                noise = torch.rand(x0.shape, generator=generator, device=x0.device) * 2 - 1
                xb = _clip(x0 + epsilon * noise, bounds)
            for _ in range(steps):
                xb = xb + alpha * _gradient_sign(model, xb, yb, targeted)
                xb = _clip(torch.max(torch.min(xb, x0 + epsilon), x0 - epsilon), bounds).detach()
            out.append(xb)
    return _finish(torch.cat(out), was_numpy)


ATTACKS = {"fgsm": fgsm, "pgd": pgd}

__all__ = ["fgsm", "pgd", "infer_value_range", "frozen", "ATTACKS"]
