"""Values as the web app handles them: flattened config keys, a missing key told apart from a
stored null, grouping identity (7 and 7.0 alike, True and 1 apart) and JSON-safe numbers."""

from __future__ import annotations

import json
import math
from typing import Any


class _Missing:
    """The value of a key that a run does not have."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}`; an empty dict stays a value."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def canonical(value: Any) -> str:
    """A string equal for values that group together: 7 and 7.0 alike, missing and null apart."""
    if value is MISSING:
        return "\x00missing"
    return json.dumps(_normal(value), sort_keys=True, default=repr)


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if not math.isfinite(value):
            return repr(value)
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    return value


def cell(value: Any) -> dict[str, Any]:
    """A value for the front end: `{"missing": true}` or `{"value": ...}` (null included)."""
    return {"missing": True} if value is MISSING else {"value": value}


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers, then strings, then other values, then null, then missing."""
    if value is MISSING:
        return (5, 0)
    if value is None:
        return (4, 0)
    if isinstance(value, bool):
        return (0, float(value))
    if isinstance(value, (int, float)):
        return (0, value if math.isfinite(value) else math.inf)
    if isinstance(value, str):
        return (1, value)
    return (2, canonical(value))


def json_safe(value: Any) -> Any:
    """NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (JSON has no such
    numbers); everything else unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
