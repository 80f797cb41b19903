"""What the callback reads from Keras: config facts about a model and a fit, and metric values.

Everything here uses public Keras 3 API only (`Model.get_compile_config()`,
`Optimizer.get_config()`, `optimizer.learning_rate`, `keras.ops.convert_to_numpy`) and returns
plain JSON-ready values. Keras is imported inside the functions: this module is imported by the
callback module even when Keras is missing.
"""

from __future__ import annotations

import logging
import math
import warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

logger = logging.getLogger("runcard.keras")

# `Callback.params` keys that a fit may carry besides epochs and steps: Keras 3's own fit passes
# only verbose, epochs and steps, but a hand-made `CallbackList(**params)` can pass these.
_OPTIONAL_FIT_PARAMS = (
    "batch_size",
    "samples",
    "validation_split",
    "validation_steps",
    "validation_batch_size",
    "validation_freq",
)

# An array-valued metric (F1Score(average=None), ...) is logged element by element up to this
# size; larger ones (a confusion matrix) are left out with a warning.
MAX_METRIC_ELEMENTS = 64


def framework() -> dict[str, Any]:
    import keras

    return {"version": keras.__version__, "backend": keras.config.backend()}


def fit_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """The fit parameters Keras gives callbacks: epochs and steps per epoch (None when the data
    has no known length, then left out), and whatever else the params hold."""
    params = params or {}
    fit: dict[str, Any] = {}
    if params.get("epochs") is not None:
        fit["epochs"] = params["epochs"]
    if params.get("steps") is not None:
        fit["steps_per_epoch"] = params["steps"]
    for key in _OPTIONAL_FIT_PARAMS:
        if params.get(key) is not None:
            fit[key] = params[key]
    return fit


def model_facts(model: Any) -> dict[str, Any]:
    """Model name, class and parameter counts; optimizer; loss, metrics and compile settings.
    A facet Keras cannot describe (a custom object without `get_config`) is left out with a
    warning: describing the model must never stop the training."""
    facts: dict[str, Any] = {}
    for what, read in (("model", _model), ("optimizer", _optimizer), ("compile", _compiled)):
        try:
            with warnings.catch_warnings():
                # Keras 3.15's get_config() reads variables with np.array(): on torch with
                # numpy 2 that warns "__array__ implementation doesn't accept a copy
                # keyword", a Keras matter the user can do nothing about
                warnings.simplefilter("ignore", DeprecationWarning)
                facts.update(read(model))
        except Exception as exc:
            logger.warning("runcard: could not record the Keras %s: %s", what, exc)
    return facts


def _model(model: Any) -> dict[str, Any]:
    return {
        "model": {
            "name": model.name,
            "class": type(model).__name__,
            "trainable_params": _count(model.trainable_weights),
            "non_trainable_params": _count(model.non_trainable_weights),
        }
    }


def _count(weights: list[Any]) -> int:
    return int(sum(math.prod(weight.shape) for weight in weights))


def _optimizer(model: Any) -> dict[str, Any]:
    """`get_config()` with the class name; a schedule's config moves to
    `learning_rate_schedule` and `learning_rate` holds the rate in force now, so that
    `learning_rate` is a number for every run."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {}
    config: dict[str, Any] = {"class": type(optimizer).__name__}
    try:
        config.update(optimizer.get_config())
    except Exception as exc:  # a custom schedule or optimizer that cannot be serialized
        logger.warning(
            "runcard: the Keras optimizer's get_config() failed (%s): only its class and "
            "learning rate are recorded",
            exc,
        )
    rate = config.get("learning_rate")
    if isinstance(rate, dict):  # a serialized LearningRateSchedule
        schedule = rate.get("config")
        config["learning_rate_schedule"] = {
            "class_name": rate.get("class_name"),
            **(schedule if isinstance(schedule, dict) else {"config": schedule}),
        }
    now = learning_rate(model)
    if now is not None:
        config["learning_rate"] = now
    return {"optimizer": config}


def _compiled(model: Any) -> dict[str, Any]:
    """Loss and metric names from `get_compile_config()` (empty before `compile()`)."""
    try:
        compiled = model.get_compile_config() or {}
    except Exception as exc:  # it serializes the optimizer too, which may fail
        logger.warning(
            "runcard: the Keras model's get_compile_config() failed (%s): of the compile "
            "arguments only the loss is recorded",
            exc,
        )
        compiled = {"loss": getattr(model, "loss", None)}
    facts: dict[str, Any] = {}
    if compiled.get("loss") is not None:
        facts["loss"] = _names(compiled["loss"])
    if compiled.get("metrics") is not None:
        facts["metrics"] = _names(compiled["metrics"])
    settings = {
        key: _names(compiled[key]) if key == "weighted_metrics" else compiled[key]
        for key in (
            "loss_weights",
            "weighted_metrics",
            "steps_per_execution",
            "jit_compile",
            "run_eagerly",
        )
        if compiled.get(key) is not None
    }
    if settings:
        facts["compile"] = settings
    return facts


def _names(value: Any) -> Any:
    """A loss or metric as its name: "mse" stays "mse", a serialized object (or the object
    itself) gives its configured name (`MeanSquaredError()` -> "mean_squared_error"), a function
    its `__name__`; lists and per-output dicts keep their shape."""
    if isinstance(value, (list, tuple)):
        return [_names(v) for v in value]
    if isinstance(value, dict):
        if "class_name" in value:
            config = value.get("config")
            if isinstance(config, dict) and config.get("name"):
                return config["name"]
            if isinstance(config, str):  # a serialized plain function
                return config
            return value["class_name"]
        return {str(k): _names(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    name = getattr(value, "name", None) or getattr(value, "__name__", None)  # an object
    return name if isinstance(name, str) else type(value).__name__


def learning_rate(model: Any) -> float | None:
    """The optimizer's learning rate now (a schedule evaluated at the current iteration)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        # float() reads a scalar variable or tensor on every backend (and, unlike
        # keras.ops.convert_to_numpy on TensorFlow, without a numpy DeprecationWarning)
        rate = float(optimizer.learning_rate)
    except (AttributeError, TypeError, ValueError):  # no scalar rate
        return None
    import numpy as np

    single = np.float32(rate)
    # a float32 rate as the user typed it: 0.01, not 0.009999999776482582
    return float(str(single)) if float(single) == rate else rate


def scalars(logs: dict[str, Any] | None, warned: set[str]) -> dict[str, Any]:
    """Keras logs as runcard metrics. Keras has turned tensors into floats already; a numpy or
    tensor scalar keeps its kind (an int stays an int); a value Keras could not turn into a
    float (an array-valued metric) is logged element by element as `name.i`; a non-numeric
    one is left out."""
    row: dict[str, Any] = {}
    for key, value in (logs or {}).items():
        if type(value) in (float, int):
            row[key] = value
            continue
        import numpy as np

        try:
            array = np.asarray(value)
        except (TypeError, ValueError, RuntimeError):
            array = np.asarray(None)
        if array.dtype.kind not in "biuf":
            _warn_once(warned, key, "is not a number")
            continue
        if array.size == 1:
            row[key] = array.reshape(-1)[0].item()  # a Python bool, int or float
        elif array.size <= MAX_METRIC_ELEMENTS:
            row[key] = {str(i): v.item() for i, v in enumerate(array.reshape(-1))}
        else:
            _warn_once(warned, key, f"has {array.size} elements")
    return row


def _warn_once(warned: set[str], key: str, why: str) -> None:
    if key not in warned:
        warned.add(key)
        logger.warning("runcard: the Keras metric %r %s; it is not logged", key, why)
