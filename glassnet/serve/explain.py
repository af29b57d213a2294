"""The /explain answer: a Grad-CAM heat map laid over the input image, as PNG bytes.

>>> import numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Conv2D, Flatten, Dense
>>> from glassnet.export.preprocessing import for_model
>>> m = Sequential([Input((8, 8, 1)), Conv2D(2, 3), Flatten(), Dense(3, activation='softmax')])
>>> png, index, note = explain_png(m, np.random.rand(1, 8, 8, 1).astype('float32'), for_model(m))
>>> png[:4], 0 <= index < 3
(b'\\x89PNG', True)
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from glassnet.export.preprocessing import Preprocessing

SIZE = 224  # the overlay is drawn at least this big, so a 28×28 digit is visible


def why_not_explainable(model, preprocessing: Preprocessing) -> str:
    """'' when Grad-CAM can explain the model's answers, else the reason (not images, no feature map).

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Input, Flatten, Dense
    >>> from glassnet.export.preprocessing import for_model
    >>> mlp = Sequential([Input((8, 8, 1)), Flatten(), Dense(3, activation='softmax')])
    >>> why_not_explainable(mlp, for_model(mlp))[:40]
    'Grad-CAM needs a convolutional layer; th'
    """
    if not preprocessing.is_image:
        return "Grad-CAM explains images; this model's inputs are not images."
    from glassnet.explain import find_layer

    try:
        target = find_layer(model, np.zeros((1, *preprocessing.input_shape), np.float32))
    except Exception:  # noqa: BLE001  (whatever stops the search, there is nothing to explain)
        target = None
    if target is None or not any(weight.dim() >= 3 for weight in target.module.parameters()):  # conv kernels
        return "Grad-CAM needs a convolutional layer; this model has none, so /explain is off."
    return ""


def explain_png(model, x: np.ndarray, preprocessing: Preprocessing, target: int | None = None
                ) -> tuple[bytes, int, str]:
    """(PNG of the Grad-CAM overlay of sample ``x[0]``, the class index explained, a note or '').

    Grad-CAM keeps the positive part of its map; when nothing is positive (small networks ending in
    Flatten + Dense often give all-negative channel weights) the map's magnitude is shown instead, and the
    note says so."""
    import torch
    from matplotlib import colormaps

    from glassnet.explain import grad_cam
    from glassnet.explain.overlay import display_images
    from glassnet.modes import evaluating

    if target is None:
        with evaluating(model), torch.inference_mode():
            target = int(model(torch.from_numpy(x)).reshape(len(x), -1)[0].argmax())
    heat, note = grad_cam(model, x, target=target)[0], ""
    if not heat.max() > 0:
        heat = np.abs(grad_cam(model, x, target=target, relu=False)[0])
        note = "Grad-CAM's positive part is empty here (negative channel weights): showing the map's magnitude."
    heat = heat / max(float(heat.max()), 1e-12)
    image = display_images(x, "channels_last" if preprocessing.layout != "NCHW" else "channels_first")[0]
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
    blended = 0.55 * rgb + 0.45 * colormaps["jet"](heat)[..., :3]
    picture = Image.fromarray(np.uint8(np.clip(blended, 0, 1) * 255))
    scale = max(1, -(-SIZE // max(picture.size)))
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue(), target, note
