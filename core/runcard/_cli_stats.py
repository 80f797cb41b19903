"""Aggregates of a group's values: count, mean, sample std, min, max, median, standard error and
the 95% confidence interval of the mean from Student's t distribution (n - 1 degrees of freedom),
so that three seeds give an honest, wide interval rather than a normal-theory one."""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

AGGREGATES = ("mean", "std", "ci", "min", "max", "median", "sem", "count")
DEFAULT_AGGREGATES = ("mean", "std", "ci")

# two-sided 95% quantiles t(0.975, df) for df = 1..30 (checked against numerical integration of
# the t density); above 30 Hill's Cornish-Fisher expansion is exact to 1e-7
_T975 = (
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
)
_Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("t975 needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def parse_aggregates(text: str) -> tuple[str, ...]:
    """`mean,std,count` -> the names, checked; `ci95` is accepted for `ci`."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    names = ["ci" if n in ("ci95", "95ci") else n for n in names]
    unknown = [n for n in names if n not in AGGREGATES]
    if unknown or not names:
        raise ValueError(
            f"unknown aggregate {', '.join(map(repr, unknown)) or repr(text)}: "
            f"use a comma-separated list of {', '.join(AGGREGATES)}"
        )
    return tuple(dict.fromkeys(names))


def aggregate(values: list[float]) -> dict[str, Any]:
    """Every aggregate of `values` (NaN left out): None where too few values define it."""
    values = [v for v in values if v == v]
    n = len(values)
    result: dict[str, Any] = dict.fromkeys(AGGREGATES)
    result["count"] = n
    if n == 0:
        return result
    mean = math.fsum(values) / n
    ordered = sorted(values)
    middle = n // 2
    result.update(
        mean=mean,
        min=ordered[0],
        max=ordered[-1],
        median=ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2,
    )
    if n > 1 and not math.isinf(mean):
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
        sem = std / math.sqrt(n)
        half = t975(n - 1) * sem
        result.update(std=std, sem=sem, ci=(mean - half, mean + half))
    return result
