"""What a training run derives from the model as it is when the run starts.

Called at the start of every ``fit`` / ``evaluate`` / ``predict`` (and the
``*_on_batch`` methods): nothing here is remembered from an earlier call, so a
model changed between two fits — a new classifier head, layers frozen or
unfrozen — trains correctly the next time.

- the model moves to the compiled device, and conv kernels to channels-last memory;
- a dry run on two samples builds lazy layers and gives a clear error if the data
  does not fit the model;
- the optimizer is bound to the weights that train *now*: new ones join, removed or
  frozen ones leave, the state of those that stay is kept; a saved optimizer state
  waiting from ``load_model`` is validated and applied.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet.errors import ShapeError
from glassnet.modes import evaluating


def place(model: torch.nn.Module, device: torch.device) -> None:
    """Move ``model`` to ``device``; conv kernels (rank-4 weights) into channels-last memory.

    >>> net = torch.nn.Conv2d(1, 2, 3); place(net, torch.device('cpu'))
    >>> net.weight.is_contiguous(memory_format=torch.channels_last)
    True
    """
    model.to(device)
    if any(p.dim() == 4 for p in model.parameters()):
        model.to(memory_format=torch.channels_last)  # conv kernels in their fast layout


def needs_build(model: torch.nn.Module) -> bool:
    """True if some glassnet layer in ``model`` has not created its weights yet.

    >>> from glassnet.layers import Dense
    >>> needs_build(Dense(2)), needs_build(torch.nn.Linear(2, 2))
    (True, False)
    """
    from glassnet.layers.base import Layer
    return any(isinstance(m, Layer) and not m.built for m in model.modules())


def defines_forward(model: torch.nn.Module) -> bool:
    """False for a Model subclass with neither a graph nor its own ``call`` (a GAN that only defines
    ``train_step``): fit then never calls the model itself, as in Keras.

    >>> from glassnet.models import Model
    >>> class OnlySteps(Model):
    ...     def train_step(self, data): return {}
    >>> defines_forward(OnlySteps()), defines_forward(torch.nn.Linear(1, 1))
    (False, True)
    """
    from glassnet.models.model import Model
    if not isinstance(model, Model):
        return True
    return getattr(model, "_graph", None) is not None or type(model).call is not Model.call


def dry_run(model: torch.nn.Module, example_x: Any, device: torch.device) -> Any:
    """The model's outputs for two samples, in inference mode: builds lazy layers, and explains a
    data/model shape mismatch before any training."""
    example = pytree.tree_map(lambda t: t[:2].to(device) if torch.is_tensor(t) else t, example_x)
    shapes = pytree.tree_map(lambda t: (None, *t.shape[1:]) if torch.is_tensor(t) else t, example_x)
    try:
        with evaluating(model), torch.no_grad():
            return model(example)
    except ShapeError as err:
        name = getattr(model, "name", type(model).__name__)
        raise ShapeError(f"The data does not fit model '{name}' (x has shape {shapes}). {err}") from None


def trainable_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters training updates now (``requires_grad``), each once, in module order."""
    return [p for p in model.parameters() if p.requires_grad]


def prepare(model: torch.nn.Module, config: Any, example_x: Any, training: bool) -> Any:
    """Everything above, for one run of ``model`` compiled with ``config`` (a CompileConfig).
    Returns the dry run's outputs (used to check the labels against them)."""
    place(model, config.device)
    unbuilt = needs_build(model)
    example_outputs = dry_run(model, example_x, config.device) if defines_forward(model) else None
    if unbuilt:
        place(model, config.device)  # weights created by the dry run
    if not getattr(model, "_built_input_shapes", None):
        leaves = [t for t in pytree.tree_leaves(example_x) if torch.is_tensor(t)]
        model._built_input_shapes = [[None, *t.shape[1:]] for t in leaves]
    if training or config.pending_optimizer_state is not None:
        config.optimizer.bind(trainable_parameters(model))
    if config.pending_optimizer_state is not None:
        state, config.pending_optimizer_state = config.pending_optimizer_state, None
        config.optimizer.load_state_dict(state)
    return example_outputs
