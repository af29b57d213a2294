"""The picture of an RNN unfolded in time: one network copied per step, sharing its weights.

``plot_unrolled(layer, steps=4)`` draws, for a built recurrent layer, the inputs x(t), the
states s(t) and (when a Dense layer follows, ``output=``) the outputs o(t), with the arrows
labelled by the course's weight names and shapes: U reads x(t), W carries s(t−1) to s(t),
V maps s(t) to o(t). Every copy uses the same U, W, V — that is what "unfolding" means.

>>> import torch
>>> from glassnet.layers import SimpleRNN
>>> rnn = SimpleRNN(3); _ = rnn(torch.zeros(1, 4, 2))
>>> course_weights(rnn)['U'].shape
torch.Size([3, 2])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from glassnet.layers.recurrent_cells import RecurrentWeights


def course_weights(layer: RecurrentWeights, output: Any = None) -> dict[str, torch.Tensor]:
    """The course's names for a recurrent layer's weights: ``U`` (input), ``W`` (recurrent), ``b``,
    and, given the Dense layer that reads the states (``output``), ``V`` and its bias ``c``.
    For LSTM/GRU, U and W stack the gates' matrices (torch's layout: gates along the rows).

    >>> from glassnet.layers import Dense, SimpleRNN
    >>> rnn, dense = SimpleRNN(3), Dense(2)
    >>> _ = dense(rnn(torch.zeros(1, 4, 2)))
    >>> {k: tuple(v.shape) for k, v in course_weights(rnn, dense).items()}
    {'U': (3, 2), 'W': (3, 3), 'b': (3,), 'V': (2, 3), 'c': (2,)}
    """
    if not isinstance(layer, RecurrentWeights) or not layer.built:
        raise ValueError("course_weights needs a built SimpleRNN, LSTM or GRU (call it on data first).")
    w_ih, w_hh, b_ih, b_hh = layer._weights()
    names = {"U": w_ih, "W": w_hh}
    if b_ih is not None:
        names["b"] = b_ih + b_hh if not layer._two_biases else torch.stack([b_ih, b_hh])
    if output is not None:
        names["V"] = output.weight
        if getattr(output, "bias", None) is not None:
            names["c"] = output.bias
    return {k: v.detach() for k, v in names.items()}


def plot_unrolled(layer: RecurrentWeights, steps: int = 4, output: Any = None, filename: str | Path | None = None):
    """Draw ``layer`` unfolded over ``steps`` time steps (a matplotlib Figure; saved if ``filename``).

    >>> import matplotlib; matplotlib.use('Agg')
    >>> from glassnet.layers import SimpleRNN
    >>> rnn = SimpleRNN(3); _ = rnn(torch.zeros(1, 4, 2))
    >>> len(plot_unrolled(rnn, steps=3).axes)
    1
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    weights = course_weights(layer, output)
    shape = {k: "×".join(str(s) for s in v.shape) for k, v in weights.items()}
    fig, ax = plt.subplots(figsize=(2.3 * steps + 1.5, 4.2 if output is not None else 3.2))
    ax.set_axis_off()
    top = 2 if output is not None else 1

    def box(x, y, text, color):
        ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.22), 0.84, 0.44, boxstyle="round,pad=0.02", fc=color,
                                    ec="black", lw=1))
        ax.text(x, y, text, ha="center", va="center", fontsize=11)

    def arrow(start, end, label, side=0.0):
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", lw=1.3))
        mid = ((start[0] + end[0]) / 2 + side, (start[1] + end[1]) / 2)
        ax.text(*mid, label, fontsize=9, color="darkred", ha="left" if side >= 0 else "right", va="bottom")

    kind = type(layer).__name__
    box(-0.9, 1, "s(0)", "#eeeeee")
    for t in range(1, steps + 1):
        x = 2.0 * (t - 1) + 1.2
        box(x, 0, f"x({t})", "#dbe9f6")
        box(x, 1, f"s({t})", "#fde2c4")
        arrow((x, 0.22), (x, 0.78), f"U {shape['U']}" if t == 1 else "U", side=0.05)
        arrow((x - 1.58, 1), (x - 0.42, 1), f"W {shape['W']}" if t == 1 else "W")
        if output is not None:
            box(x, 2, f"o({t})", "#d9f2d9")
            arrow((x, 1.22), (x, 1.78), f"V {shape['V']}" if t == 1 else "V", side=0.05)
    ax.set_xlim(-1.5, 2.0 * steps + 0.5)
    ax.set_ylim(-0.5, top + 0.7)
    ax.set_title(f"{kind}({layer.units}) unfolded over {steps} steps: s(t) = f(U·x(t) + W·s(t−1) + b)"
                 + (", o(t) = V·s(t) + c" if output is not None else "") + ": the same weights at every step",
                 fontsize=10)
    fig.tight_layout()
    if filename is not None:
        fig.savefig(filename, dpi=110)
    return fig


__all__ = ["course_weights", "plot_unrolled"]
