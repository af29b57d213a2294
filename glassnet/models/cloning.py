"""``clone_model``, ``to_json`` and ``model_from_json``: a model's architecture without its weights.

>>> import glassnet as keras
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> twin = clone_model(model)
>>> twin.count_params() == model.count_params(), bool((twin.layers[-1].weight == model.layers[-1].weight).all())
(True, False)
>>> model_from_json(model.to_json()).count_params()
8
"""

from __future__ import annotations

import json
from typing import Any, Callable

from glassnet import serialization
from glassnet.errors import DataFileError


def to_json(model, **kwargs: Any) -> str:
    """The architecture as a JSON string (``{"class_name", "config"}``, Keras' ``model.to_json()``);
    ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``). Weights are not included."""
    from glassnet.models.saving import model_config

    spec = model_config(model)
    spec["backend"] = "torch"
    shapes = getattr(model, "_built_input_shapes", None)
    if shapes:
        spec["input_shapes"] = shapes
    return json.dumps(spec, **kwargs)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None):
    """A new model (fresh weights) from :func:`to_json`'s text; your own classes via ``custom_objects``.

    >>> model_from_json('{"class_name": "Nope", "config": {}}')
    Traceback (most recent call last):
    glassnet.errors.UnknownNameError: Unknown layer or model class 'Nope' in the saved config. If it is your own class, import or define it before loading, or pass custom_objects={'Nope': Nope}.
    """
    try:
        spec = json.loads(json_string)
    except (TypeError, ValueError) as err:
        raise DataFileError(f"model_from_json: the text is not JSON ({err}). Pass what model.to_json() "
                            "returned.") from err
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict) or "class_name" not in spec:
        raise DataFileError("model_from_json: the JSON has no 'class_name' and 'config'. Pass what "
                            "model.to_json() returned.")
    return _from_spec(spec, custom_objects)


def _from_spec(spec: dict, custom_objects: dict[str, Any] | None):
    from glassnet.models.model import Model

    cls = serialization.get_class(spec["class_name"], custom_objects)
    takes_custom = issubclass(cls, Model) and "custom_objects" in cls.from_config.__code__.co_varnames
    model = cls.from_config(spec["config"], **({"custom_objects": custom_objects} if takes_custom else {}))
    shapes = spec.get("input_shapes")
    if shapes and hasattr(model, "build"):
        model.build(shapes[0] if len(shapes) == 1 else shapes)
        model._built_input_shapes = shapes
    return model


def clone_model(model, input_tensors: Any = None, clone_function: Callable | None = None):
    """A new model with the same architecture and freshly initialised weights (Keras' ``clone_model``).

    Works for Sequential, functional and subclassed models whose constructor arguments are
    saveable. ``clone_function(layer) -> layer`` (Sequential models) replaces the default copy of each
    layer (``type(layer).from_config(layer.get_config())``). To copy the weights too:
    ``twin.set_weights(model.get_weights())``.
    """
    from glassnet.models.sequential import Sequential

    if input_tensors is not None:
        raise NotImplementedError("clone_model(input_tensors=...) is not supported; clone the model, then call "
                                  "it on the new inputs: outputs = clone_model(model)(inputs).")
    if clone_function is not None:
        if not isinstance(model, Sequential):
            raise NotImplementedError("clone_model(clone_function=...) works for Sequential models; for "
                                      "functional ones rebuild the graph with your layers.")
        twin = Sequential([clone_function(layer) for layer in model.layers], name=model.name)
        shapes = getattr(model, "_built_input_shapes", None)
        input_shape = shapes[0] if shapes else getattr(model, "input_shape", None)
        if input_shape is not None:
            twin.build(input_shape)
        return twin
    return model_from_json(to_json(model), custom_objects={serialization.registered_name(type(model)): type(model)})


__all__ = ["clone_model", "to_json", "model_from_json"]
