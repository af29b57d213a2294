"""The course's filter exercise: hand-written kernels applied by a real Conv2D, against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy.signal import correlate2d

from glassnet.errors import ShapeError, UnknownNameError
from glassnet.explain import KERNELS, convolve


def bars() -> np.ndarray:
    """A 20x20 dark image with one bright vertical bar and one bright horizontal bar, apart."""
    image = np.zeros((20, 20), np.float32)
    image[2:9, 14:16] = 1.0   # vertical bar, top right
    image[14:16, 2:12] = 1.0  # horizontal bar, bottom left
    return image


def test_vertical_edge_kernel_responds_only_to_the_vertical_bar():
    out = convolve(bars(), "vertical_edge")
    assert out.shape == (18, 18)
    vertical_region, horizontal_region = np.abs(out[:9, 10:]), np.abs(out[11:, :12])
    assert vertical_region.max() == 3.0  # the bar's left and right edges: 1+1+1 in a column
    assert np.all(out[11:, 4:7] == 0)  # along the horizontal bar's length: nothing
    # full strength (3: the kernel's whole column on an edge) only along the vertical bar; the horizontal bar's
    # two short ends are 2 pixels high, so they answer weaker
    assert (vertical_region == 3).sum() == 20 and horizontal_region.max() == 2
    assert np.all(convolve(bars(), "horizontal_edge")[:9, 10:][2:6] == 0)  # the other kernel: the reverse
    np.testing.assert_array_equal(out, correlate2d(bars(), KERNELS["vertical_edge"], mode="valid"))


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_every_kernel_equals_scipy_correlation(name):
    image = np.random.default_rng(0).random((9, 11)).astype(np.float32)
    np.testing.assert_allclose(convolve(image, name), correlate2d(image, KERNELS[name], mode="valid"), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(convolve(image, name, padding="same"),
                               correlate2d(image, KERNELS[name], mode="same"), rtol=1e-5, atol=1e-5)


def test_rgb_image_is_averaged_to_gray_and_figure_written(tmp_path):
    rgb = np.stack([bars(), bars(), bars()], -1) * 255
    out = convolve(rgb, [[1, 0, -1]] * 3, path=tmp_path / "edges.png")
    np.testing.assert_allclose(out, convolve(bars() * 255, "vertical_edge"))
    with Image.open(tmp_path / "edges.png") as img:
        assert img.size[0] > 2 * img.size[1]  # input | kernel | output side by side


def test_bad_kernels_are_explained():
    with pytest.raises(UnknownNameError, match="Did you mean 'sobel_y'"):
        convolve(bars(), "sobel_z")
    with pytest.raises(ShapeError, match="2-D array"):
        convolve(bars(), [1, 0, -1])
    with pytest.raises(ShapeError, match=r"one image \(H, W\)"):
        convolve(np.zeros((2, 5, 5, 1)), "blur")
