"""Curves for the chart controls: one metric of several runs against a chosen x axis (the step,
wall time, time since the run's first point, or another logged key such as `epoch`), and a
group's spread on that axis (mean, ± one standard deviation, min and max)."""

from __future__ import annotations

import bisect
from typing import Any

import runcard
from runcard.web._charts import downsample
from runcard.web._values import finite_number, stats

STEP, WALL, RELATIVE = "_step", "_timestamp", "_relative"


def points(run: runcard.ApiRun, key: str, x: str) -> list[tuple[float, float]]:
    """(x, value) of `key`'s finite values in logged order. Another key as x takes its value
    at the step, else the last one logged before it (an epoch logged once per epoch)."""
    if x in (WALL, RELATIVE):
        rows = run.scan_history([key, WALL])
        pairs = [(row[WALL], row[key]) for row in rows if finite_number(row[key])]
        if x == RELATIVE and pairs:
            start = pairs[0][0]
            pairs = [(t - start, v) for t, v in pairs]
        return pairs
    steps, values = run.metric(key)
    pairs = [(s, v) for s, v in zip(steps, values, strict=True) if finite_number(v)]
    if x == STEP:
        return pairs
    x_steps, x_values = run.metric(x)
    known = [(s, v) for s, v in zip(x_steps, x_values, strict=True) if finite_number(v)]
    at = [s for s, _ in known]
    out = []
    for step, value in pairs:
        i = bisect.bisect_right(at, step) - 1
        if i >= 0:
            out.append((known[i][1], value))
    return out


def curves(api: runcard.Api, paths: list[str], key: str, x: str, limit: int) -> dict[str, Any]:
    """Each run's curve of `key` against `x`, thinned to about `limit` points."""
    out = []
    for path in paths:
        run = api.run(path)
        pairs = points(run, key, x)
        kept = downsample(pairs, limit)  # type: ignore[arg-type]
        out.append(
            {
                "path": run.path,
                "name": run.name,
                "points": len(pairs),
                "x": [a for a, _ in kept],
                "y": [b for _, b in kept],
            }
        )
    return {"key": key, "x": x, "series": out}


def spread(api: runcard.Api, paths: list[str], key: str, x: str, bins: int) -> dict[str, Any]:
    """The runs' curves binned over the x range into about `bins` bins (each run's values
    averaged within a bin first): per bin the mean, mean ± std, min, max and how many runs."""
    curves_ = [points(api.run(path), key, x) for path in paths]
    every = [a for curve in curves_ for a, _ in curve]
    out: dict[str, Any] = {"key": key, "x": x, "runs": len(paths), "steps": [], "mean": []}
    out.update(low=[], high=[], min=[], max=[], n=[])
    if not every:
        return out
    first, last = min(every), max(every)
    width = (last - first) / bins or 1.0
    per_bin: list[list[float]] = [[] for _ in range(bins)]
    for curve in curves_:
        mine: dict[int, list[float]] = {}
        for a, value in curve:
            mine.setdefault(min(bins - 1, int((a - first) / width)), []).append(value)
        for index, values in mine.items():
            per_bin[index].append(sum(values) / len(values))
    for index, values in enumerate(per_bin):
        if not values:
            continue
        found = stats(values)
        std = found["std"] or 0.0
        out["steps"].append(first + (index + 0.5) * width if last > first else first)
        out["mean"].append(found["mean"])
        out["low"].append(found["mean"] - std)
        out["high"].append(found["mean"] + std)
        out["min"].append(min(values))
        out["max"].append(max(values))
        out["n"].append(found["n"])
    return out
