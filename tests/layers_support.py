"""Helpers for the layer tests: the data-format fixture and a value+gradient comparison."""

from __future__ import annotations

from typing import Callable

import pytest
import torch

from glassnet import config, layout


@pytest.fixture(params=["channels_last", "channels_first"])
def data_format(request):
    """Run the test in both image data formats; restore the global setting afterwards."""
    before = config.image_data_format()
    config.set_image_data_format(request.param)
    yield request.param
    config.set_image_data_format(before)


def internal(x_user: torch.Tensor) -> torch.Tensor:
    """User-layout data as a model would hand it to a layer (zero-copy, channels-last memory)."""
    return layout.to_internal(x_user, config.image_data_format())


def nchw(x_user: torch.Tensor) -> torch.Tensor:
    """User-layout images as a plain contiguous NCHW tensor for the torch reference."""
    if config.image_data_format() == "channels_last" and x_user.dim() in (4, 5):
        return x_user.movedim(-1, 1).contiguous()
    return x_user.clone()


def assert_same_values_and_grads(ours: Callable, reference: Callable, x: torch.Tensor,
                                 params: list[tuple[torch.Tensor, torch.Tensor]] = (), atol: float = 1e-5) -> None:
    """``ours(x)`` == ``reference(x)``, and so are d(sum(out * r))/dx and d/d(each paired parameter)."""
    xa = x.detach().clone().requires_grad_(True)
    xb = x.detach().clone().requires_grad_(True)
    ya, yb = ours(xa), reference(xb)
    assert ya.shape == yb.shape, (ya.shape, yb.shape)
    torch.testing.assert_close(ya, yb, atol=atol, rtol=1e-4)
    probe = torch.randn(ya.shape)
    a_params = [pa for pa, _ in params]
    b_params = [pb for _, pb in params]
    grads_a = torch.autograd.grad((ya * probe).sum(), [xa, *a_params])
    grads_b = torch.autograd.grad((yb * probe).sum(), [xb, *b_params])
    for ga, gb in zip(grads_a, grads_b):
        torch.testing.assert_close(ga, gb, atol=atol, rtol=1e-4)


def model_layout(x_nchw: torch.Tensor) -> torch.Tensor:
    """An NCHW tensor in the memory layout a model hands to its layers in the current data format
    (channels-last memory for 'channels_last'); same values, differentiable."""
    if config.image_data_format() == "channels_last" and x_nchw.dim() == 4:
        return x_nchw.contiguous(memory_format=torch.channels_last)
    if config.image_data_format() == "channels_last" and x_nchw.dim() == 5:
        return x_nchw.contiguous(memory_format=torch.channels_last_3d)
    return x_nchw


def seq_user(x_ncw: torch.Tensor) -> torch.Tensor:
    """A (N, C, steps) sequence in the user's layout: (N, steps, C) for 'channels_last'."""
    return x_ncw.transpose(1, 2) if config.image_data_format() == "channels_last" else x_ncw


def tf_same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'SAME' rule, written out independently of glassnet's helper."""
    k = dilation * (kernel - 1) + 1
    out = (size + stride - 1) // stride
    total = max(0, (out - 1) * stride + k - size)
    return total // 2, total - total // 2
