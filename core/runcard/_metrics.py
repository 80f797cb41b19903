"""Metric values for `log()` and `summary`.

Numbers (ints stay ints, floats keep NaN and ±inf), bools, strings and None are stored as they
are; numpy / torch / jax scalars and one-element arrays become Python numbers through `.item()`;
nested dicts are flattened with dots (`{"train": {"loss": 1}}` logs `train.loss`). Anything else
(a larger array, an image, a model) is stored as a short text form such as
`<numpy.ndarray shape=(3,) dtype=float32>`, with one warning per key: logging never raises on a
value, because the values are read on the writer thread, after `log()` has returned.
"""

from __future__ import annotations

import numbers
import warnings
from itertools import chain

from runcard._convert import Conversion, is_json_int, long_int_text, to_config_value
from runcard._warnings import MetricWarning, warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PLAIN = (int, float, bool, str, type(None))
_PLAIN_TYPES = frozenset(_PLAIN)
_STR = frozenset((str,))


def metric_value(key: str, value: Any, warned: set[str]) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            value = item()
        except (ValueError, RuntimeError, TypeError):  # more than one element
            return _other(key, value, warned)
        if type(value) in _PLAIN:
            return value
    for plain in (bool, int, float, str):  # subclasses: IntEnum, numpy.float64, StrEnum ...
        if isinstance(value, plain):
            return plain(value)
    return _other(key, value, warned)


def _other(key: str, value: Any, warned: set[str]) -> Any:
    """bytes as their UTF-8 text, numbers such as numpy.float128 as numbers, else a text form."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    elif isinstance(value, numbers.Real):
        return int(value) if isinstance(value, numbers.Integral) else float(value)
    return _as_text(key, value, warned)


def _as_text(key: str, value: Any, warned: set[str]) -> str:
    conversion = Conversion()
    text = to_config_value(value, key, conversion)
    if not isinstance(text, str):  # a list or dict: logged as its JSON-like text
        text = str(text)
    if key not in warned:
        warned.add(key)
        warnings.warn(
            f"log(): {key!r} holds a {type(value).__module__}.{type(value).__qualname__}; "
            f"runcard stores it as the text {text[:80]!r} (log numbers, bools, strings or None)",
            MetricWarning,
            stacklevel=2,
        )
    return text


def storable(key: str, value: Any, what: str) -> Any:
    """`value`, or the text of an int too long for a JSON number (see `_convert.long_int_text`),
    with a warning."""
    if type(value) is not int or is_json_int(value):
        return value
    text = long_int_text(value)
    warn(f"{what}: {key!r} holds an int too long for a JSON number; stored as text", MetricWarning)
    return text


def flatten_rows(rows: list[dict[Any, Any]], warned: set[str]) -> list[dict[str, Any]]:
    """`flatten` of each row; a batch whose rows are all flat and plain (the usual case) is
    checked in two passes over it and returned as it is."""
    values = chain.from_iterable(map(dict.values, rows))
    if _PLAIN_TYPES.issuperset(map(type, values)) and _STR.issuperset(
        map(type, chain.from_iterable(rows))
    ):
        return rows
    return [flatten(row, warned) for row in rows]


def flatten(data: dict[Any, Any], warned: set[str], prefix: str = "") -> dict[str, Any]:
    """One flat row: nested dicts joined with dots, every value in its stored form. A row that
    is flat and plain already (the usual case) is returned as it is."""
    if _PLAIN_TYPES.issuperset(map(type, data.values())) and _STR.issuperset(map(type, data)):
        return data if not prefix else {prefix + k: v for k, v in data.items()}
    row: dict[str, Any] = {}
    for key, value in data.items():
        name = prefix + (key if type(key) is str else str(key))
        if type(value) in _PLAIN:
            row[name] = value
        elif isinstance(value, dict):
            row.update(flatten(value, warned, name + "."))
        else:
            row[name] = metric_value(name, value, warned)
    return row
