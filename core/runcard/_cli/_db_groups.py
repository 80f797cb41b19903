"""`runcard runs --group-by` answered by the database: counts and sums per group come back, not
runs; the aggregates are made from them here."""

from __future__ import annotations

import math

from runcard._cli._group import Group
from runcard._compare import AGGREGATES, MISSING, canonical, sort_key, t975

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._api_runs import Runs

# what counts and sums give; the median needs every value
FROM_SUMS = frozenset(AGGREGATES) - {"median"}


def database_groups(runs: Runs, keys: list[str], metrics: list[str]) -> list[Group]:
    """The groups of `runs` by `keys` (7 and 7.0 alike; missing and null apart), sorted by
    their values, with the aggregates of `metrics` but the median."""
    merged: dict[tuple[Any, ...], tuple[Group, dict[str, list[Any]]]] = {}
    for answer in runs.groups(keys, metrics):
        values = tuple(
            value if present else MISSING
            for value, present in zip(answer["values"], answer["present"], strict=True)
        )
        ident = tuple(map(canonical, values))
        if ident not in merged:
            merged[ident] = (Group(values, [], 0), {m: [0, 0.0, 0.0, None, None] for m in metrics})
        group, sums = merged[ident]
        group.count += answer["runs"]
        for metric, stats in answer["metrics"].items():
            total = sums[metric]
            if not stats["count"]:
                continue
            total[0] += stats["count"]
            total[1] += stats["sum"]
            total[2] += stats["sum_squares"]
            total[3] = stats["min"] if total[3] is None else min(total[3], stats["min"])
            total[4] = stats["max"] if total[4] is None else max(total[4], stats["max"])
    groups = []
    for group, sums in merged.values():
        group.stats = {metric: _aggregates(*sums[metric]) for metric in metrics}
        groups.append(group)
    return sorted(groups, key=lambda g: tuple(map(sort_key, g.values)))


def _aggregates(n: int, total: float, squares: float, low: Any, high: Any) -> dict[str, Any]:
    result: dict[str, Any] = dict.fromkeys(AGGREGATES)
    result["count"] = n
    if n == 0:
        return result
    mean = total / n
    result.update(mean=mean, min=low, max=high)
    if n > 1 and not math.isinf(mean):
        std = math.sqrt(max(squares - n * mean * mean, 0.0) / (n - 1))
        sem = std / math.sqrt(n)
        half = t975(n - 1) * sem
        result.update(std=std, sem=sem, ci=(mean - half, mean + half))
    return result
