"""Metric values for `log()` and `summary`.

Numbers (ints stay ints, floats keep NaN and ±inf), bools, strings and None are stored as they
are; numpy / torch / jax scalars and one-element arrays become Python numbers through `.item()`;
nested dicts are flattened with dots (`{"train": {"loss": 1}}` logs `train.loss`). Anything else
is a `TypeError` that names the key.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PLAIN = (int, float, bool, str, type(None))


def metric_value(key: object, value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            value = item()
        except (ValueError, RuntimeError):
            raise TypeError(
                f"log(): {key!r} holds an array with more than one element; log a number "
                "(reduce it first, e.g. .mean())"
            ) from None
        if type(value) in _PLAIN:
            return value
    for kind in (int, float, str):  # subclasses: IntEnum, numpy.float64, StrEnum ...
        if isinstance(value, kind):
            return kind(value)
    raise TypeError(
        f"log(): {key!r} is a {type(value).__module__}.{type(value).__qualname__}; runcard logs "
        "numbers, bools, strings and None (and dicts of them)"
    )


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"log(): keys must be strings; got {key!r} ({type(key).__name__})")
        name = prefix + key
        if isinstance(value, dict):
            row.update(flatten(value, name + "."))
        else:
            row[name] = metric_value(name, value)
    return row
