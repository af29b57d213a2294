"""glassnet.explain: why did the network say that, and what did it learn.

* attribution: :func:`grad_cam`, :func:`saliency`, :func:`integrated_gradients`, :func:`occlusion`
  (numpy maps, one per image) and :func:`overlay` (a PNG grid of maps on the images);
* what the network learned: :func:`show_filters`, :func:`feature_maps`, :func:`max_activations`;
* the course's filter exercise: :func:`convolve` with the classic :data:`KERNELS`;
* is a map on the object: :func:`mass_inside` (against the null :func:`area_share`);
* a classifier's mistakes: :func:`interpret` (confusion matrix, top losses, report, ROC);
* a run's report: :func:`write_report` (``glassnet report RUN_DIR``).

>>> from glassnet import explain
>>> sorted(explain.KERNELS)[:3]
['blur', 'horizontal_edge', 'identity']
"""

from __future__ import annotations

from glassnet.explain.attribution import grad_cam, integrated_gradients, occlusion, saliency
from glassnet.explain.filters import feature_maps, max_activations, show_filters
from glassnet.explain.interpretation import Interpretation, interpret
from glassnet.explain.kernels import KERNELS, convolve
from glassnet.explain.localisation import area_share, mass_inside
from glassnet.explain.overlay import overlay
from glassnet.explain.report import write_report
from glassnet.explain.targets import find_layer

__all__ = ["grad_cam", "saliency", "integrated_gradients", "occlusion", "overlay", "find_layer", "show_filters",
           "feature_maps", "max_activations", "KERNELS", "convolve", "interpret", "Interpretation", "write_report",
           "mass_inside", "area_share"]
