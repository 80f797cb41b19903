"""The web app's answers about single runs and their metrics: a run in full, a metric's points
thinned for a chart (spikes kept), and a group's mean band."""

from __future__ import annotations

from typing import Any

import runcard
from runcard._compare import flatten_stored
from runcard.web._records import collector_paused
from runcard.web._values import finite_number, stats


def run_detail(api: runcard.Api, path: str) -> dict[str, Any]:
    run = api.run(path)
    return {
        "id": run.id,
        "path": run.path,
        "entity": run.entity,
        "project": run.project,
        "name": run.name,
        "state": run.state,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "group": run.group,
        "job_type": run.job_type,
        "tags": run.tags,
        "notes": run.notes,
        "config": run.config,
        "descriptions": run.descriptions,
        "provenance": run.provenance(),
        "summary": {k: v for k, v in run.summary.items() if not k.startswith("_")},
        "metadata": run.metadata,
        "metrics": metric_keys(run),
    }


@collector_paused
def history(
    api: runcard.Api, path: str, keys: list[str], since_step: int, points: int
) -> dict[str, Any]:
    """A run's state and summary, and for each metric in `keys` (default: every metric) the
    points logged after step `since_step`, thinned to about `points`. Each metric's
    `last_step` is the since_step that asks for what comes after this answer (a step logged
    later below it is not asked for again)."""
    run = api.run(path)  # the state first: once it says ended, every point is stored
    metrics = metric_keys(run)
    series = {}
    for key in keys or metrics:
        steps, values = run.metric(key)
        later = [(s, v) for s, v in zip(steps, values, strict=True) if s > since_step]
        pairs = [(s, v) for s, v in later if finite_number(v)]
        kept = downsample(pairs, points)
        series[key] = {
            "points": len(pairs),
            "last_step": max((s for s, _ in later), default=since_step),
            "steps": [s for s, _ in kept],
            "values": [v for _, v in kept],
        }
    return {
        "path": run.path,
        "state": run.state,
        "summary": {k: v for k, v in run.summary.items() if not k.startswith("_")},
        "metrics": metrics,
        "series": series,
    }


def series(api: runcard.Api, paths: list[str], key: str, points: int) -> dict[str, Any]:
    """One metric of several runs, each thinned to about `points` points (the min and max
    of each bucket kept, so spikes survive)."""
    out = []
    for path in paths:
        run = api.run(path)
        steps, values = run.metric(key)
        pairs = [(s, v) for s, v in zip(steps, values, strict=True) if finite_number(v)]
        kept = downsample(pairs, points)
        out.append(
            {
                "path": run.path,
                "name": run.name,
                "points": len(pairs),
                "steps": [s for s, _ in kept],
                "values": [v for _, v in kept],
            }
        )
    return {"key": key, "series": out}


def band(api: runcard.Api, paths: list[str], key: str, points: int) -> dict[str, Any]:
    """The mean of one metric over several runs (a group), with ± one standard deviation:
    steps binned into about `points` bins, each run's values averaged within a bin first."""
    curves = []
    for path in paths:
        steps, values = api.run(path).metric(key)
        curves.append([(s, v) for s, v in zip(steps, values, strict=True) if finite_number(v)])
    every = [s for curve in curves for s, _ in curve]
    if not every:
        return {"key": key, "runs": len(paths), "steps": [], "mean": [], "low": [], "high": []}
    first, last = min(every), max(every)
    bins = max(1, min(points, last - first + 1))
    width = (last - first + 1) / bins
    sums: list[list[float]] = [[] for _ in range(bins)]
    for curve in curves:
        per_bin: dict[int, list[float]] = {}
        for step, value in curve:
            per_bin.setdefault(min(bins - 1, int((step - first) / width)), []).append(value)
        for index, values in per_bin.items():
            sums[index].append(sum(values) / len(values))
    out: dict[str, Any] = {"key": key, "runs": len(paths), "steps": [], "mean": []}
    out.update(low=[], high=[], n=[])
    for index, values in enumerate(sums):
        if not values:
            continue
        found = stats(values)
        spread = found["std"] or 0.0
        out["steps"].append(round(first + (index + 0.5) * width - 0.5, 3))
        out["mean"].append(found["mean"])
        out["low"].append(found["mean"] - spread)
        out["high"].append(found["mean"] + spread)
        out["n"].append(found["n"])
    return out


def metric_keys(run: runcard.ApiRun) -> list[str]:
    """The run's metrics: summary keys holding a number a chart can draw."""
    return sorted(
        k
        for k, v in flatten_stored(run.summary).items()
        if finite_number(v) and not k.startswith("_")
    )


def downsample(pairs: list[tuple[int, float]], points: int) -> list[tuple[int, float]]:
    if points <= 0 or len(pairs) <= points:
        return pairs
    buckets = max(1, points // 2)
    size = len(pairs) / buckets
    kept: list[tuple[int, float]] = []
    for b in range(buckets):
        chunk = pairs[int(b * size) : int((b + 1) * size)] or pairs[-1:]
        low = min(range(len(chunk)), key=lambda i: chunk[i][1])
        high = max(range(len(chunk)), key=lambda i: chunk[i][1])
        for i in sorted({low, high}):
            kept.append(chunk[i])
    if kept[-1] != pairs[-1]:
        kept.append(pairs[-1])
    if kept[0] != pairs[0]:
        kept.insert(0, pairs[0])
    return kept
