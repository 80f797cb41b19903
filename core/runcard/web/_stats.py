"""Count, mean, sample standard deviation and a 95% confidence interval (Student's t)."""

from __future__ import annotations

import math
from typing import Any

# two-sided 95% quantiles of Student's t for 1..30 degrees of freedom
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t975(df: int) -> float:
    if df <= len(_T975):
        return _T975[df - 1]
    return 1.960 + 2.4 / df  # close to the table past 30 degrees of freedom


def aggregate(values: list[float]) -> dict[str, Any]:
    """`{"n", "mean", "std", "min", "max", "ci95"}`; std and ci95 are null below two values."""
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "std": None, "min": None, "max": None, "ci95": None}
    mean = math.fsum(values) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    ci = None
    if std is not None:
        half = t975(n - 1) * std / math.sqrt(n)
        ci = [mean - half, mean + half]
    return {"n": n, "mean": mean, "std": std, "min": min(values), "max": max(values), "ci95": ci}
