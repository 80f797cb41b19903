"""Values as the web app sends them: a missing key told apart from a stored null, numbers a
chart can draw, and JSON-safe infinities. Comparing values is `runcard._compare`'s job."""

from __future__ import annotations

import math
from typing import Any

from runcard._compare import MISSING, aggregate, is_number


def finite_number(value: Any) -> bool:
    """A number a chart can draw (not a bool, NaN or an infinity)."""
    return is_number(value) and math.isfinite(value)


def cell(value: Any) -> dict[str, Any]:
    """A value for the front end: `{"missing": true}` or `{"value": ...}` (null included)."""
    return {"missing": True} if value is MISSING else {"value": value}


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


def stats(values: list[float]) -> dict[str, Any]:
    """`{"n", "mean", "std", "min", "max", "ci95"}`, as the front end reads them."""
    found = aggregate(values)
    ci = found["ci"]
    return {
        "n": found["count"],
        "mean": found["mean"],
        "std": found["std"],
        "min": found["min"],
        "max": found["max"],
        "ci95": list(ci) if ci else None,
    }
