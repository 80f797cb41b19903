"""The web app's read model over `runcard.Api`: runs of a project as flat records, cached until
the store changes, and the answers the JSON API gives (pages, groups, diffs, series)."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import runcard
from runcard._compare import MISSING, aggregate, canonical, flatten, sort_key
from runcard.web._values import cell, finite_number

RUN_FIELDS = ("id", "path", "name", "state", "created_at", "group", "tags")
CACHE_SECONDS = 30.0
SYNC_LOAD_SECONDS = 0.2


class Record:
    """One run, flattened: `fields` (id, name, state, ...), `config` and `summary` by dotted key."""

    __slots__ = ("config", "fields", "summary")

    def __init__(self, run: runcard.ApiRun) -> None:
        self.fields: dict[str, Any] = {f: getattr(run, f) for f in RUN_FIELDS}
        self.config: dict[str, Any] = flatten(run.config)
        self.summary: dict[str, Any] = {
            k: v for k, v in flatten(run.summary).items() if not k.startswith("_")
        }

    def get(self, key: str) -> Any:
        """`config.lr`, `summary.acc`, or a run field; MISSING when the run lacks it."""
        head, _, rest = key.partition(".")
        if head == "config" and rest:
            return self.config.get(rest, MISSING)
        if head == "summary" and rest:
            return self.summary.get(rest, MISSING)
        return self.fields.get(key, MISSING)

    def row(self) -> dict[str, Any]:
        return {**self.fields, "config": self.config, "summary": self.summary}


class _Entry:
    """Cached runs of one (project, filter): the store stamp they were read at, when, how long
    the read took, and whether a background re-read is under way."""

    __slots__ = ("_columns", "_orders", "checked", "load_seconds", "records", "refreshing", "stamp")

    def __init__(self, stamp: tuple[Any, ...], records: list[Record], load_seconds: float) -> None:
        self.stamp = stamp
        self.checked = time.monotonic()
        self.records = records
        self.load_seconds = load_seconds
        self.refreshing = False
        self._columns: dict[str, list[str]] | None = None
        self._orders: dict[str, list[Record]] = {}

    def columns(self) -> dict[str, list[str]]:
        """Config keys that vary, config keys equal in all runs, numeric summary keys."""
        if self._columns is None:
            varying, same = varying_config(self.records)
            summary = summary_keys(self.records)
            self._columns = {"config_varying": varying, "config_same": same, "summary": summary}
        return self._columns

    def ordered(self, sort: str | None) -> list[Record]:
        """The records sorted by `sort` (`-key` descending); missing and null values last."""
        key = (sort or "-created_at").lstrip("+-")
        descending = not sort or sort.startswith("-")
        if key == "created_at":
            return self.records if descending else self.records[::-1]
        name = ("-" if descending else "+") + key
        if name not in self._orders:
            values = [(r.get(key), r) for r in self.records]
            present = [(v, r) for v, r in values if v is not MISSING and v is not None]
            absent = [r for v, r in values if v is MISSING or v is None]
            present.sort(key=lambda pair: sort_key(pair[0]), reverse=descending)
            self._orders[name] = [r for _, r in present] + absent
            if len(self._orders) > 16:
                self._orders.pop(next(iter(self._orders)))
        return self._orders[name]


class Catalog:
    """Answers for the API. Runs of a (project, filter) are read through `runcard.Api` and kept
    until the store's files change (or `CACHE_SECONDS` pass: a silent run turns "crashed").
    Stale runs are re-read at once when that is quick (under `SYNC_LOAD_SECONDS`); otherwise
    the answer comes from the last read, marked `stale`, while a thread re-reads them."""

    def __init__(self, dir: str | None = None) -> None:
        self.api = runcard.Api(dir=dir)
        self._root: str = self.api._root
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], _Entry] = {}

    # -- reading -----------------------------------------------------------------------------
    def _stamp(self) -> tuple[Any, ...]:
        stamp: list[Any] = []
        for name in ("runcard.db", "runcard.db-wal"):
            try:
                st = os.stat(os.path.join(self._root, name))
                stamp.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def _exists(self) -> bool:
        return os.path.exists(os.path.join(self._root, "runcard.db"))

    @staticmethod
    def _load(
        api: runcard.Api, project: str | None, filters: dict[str, Any] | None
    ) -> tuple[list[Record], float]:
        start = time.perf_counter()
        runs = api.runs(project or None, filters=filters, order="-created_at")
        records = [Record(r) for r in runs]
        return records, time.perf_counter() - start

    def snapshot(self, project: str | None, filters: dict[str, Any] | None) -> tuple[_Entry, bool]:
        """(runs of `project` ("entity/project", "project" or None for all) matching `filters`,
        newest first; whether they may be out of date). Raises runcard.UsageError for a bad
        filter."""
        if not self._exists():
            return _Entry((), [], 0.0), False
        key = (project or "", json.dumps(filters, sort_keys=True))
        stamp = self._stamp()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                fresh = entry.stamp == stamp and time.monotonic() - entry.checked < CACHE_SECONDS
                if fresh:
                    return entry, False
                if entry.load_seconds >= SYNC_LOAD_SECONDS:
                    if not entry.refreshing:
                        entry.refreshing = True
                        thread = threading.Thread(
                            target=self._refresh, args=(key, project, filters, stamp), daemon=True
                        )
                        thread.start()
                    return entry, True
            records, took = self._load(self.api, project, filters)
            if len(self._cache) > 32:
                self._cache.clear()
            entry = self._cache[key] = _Entry(stamp, records, took)
            return entry, False

    def warm(self) -> threading.Thread:
        """Read every project's runs in a thread (its own connection), so that the first page
        a browser asks for is answered from memory."""

        def work() -> None:
            try:
                if not self._exists():
                    return
                api = runcard.Api(dir=self._root)
                for project in api.projects():
                    key = (f"{project.entity}/{project.name}", json.dumps(None))
                    stamp = self._stamp()
                    records, took = self._load(api, key[0], None)
                    with self._lock:
                        self._cache.setdefault(key, _Entry(stamp, records, took))
            except runcard.Error:
                return  # requests read the store themselves

        thread = threading.Thread(target=work, name="runcard-ui-warm", daemon=True)
        thread.start()
        return thread

    def _refresh(
        self,
        key: tuple[str, str],
        project: str | None,
        filters: dict[str, Any] | None,
        stamp: tuple[Any, ...],
    ) -> None:
        try:  # a connection of its own: the app's serves requests meanwhile
            records, took = self._load(runcard.Api(dir=self._root), project, filters)
        except runcard.Error:
            with self._lock:
                entry = self._cache.get(key)
                if entry is not None:
                    entry.refreshing = False
            return
        with self._lock:
            self._cache[key] = _Entry(stamp, records, took)

    def projects(self) -> list[dict[str, Any]]:
        if not self._exists():
            return []
        return [
            {
                "entity": p.entity,
                "name": p.name,
                "path": f"{p.entity}/{p.name}",
                "runs": p.run_count,
            }
            for p in self.api.projects()
        ]

    # -- answers -----------------------------------------------------------------------------
    def runs_page(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        sort: str | None,
        offset: int,
        limit: int,
    ) -> dict[str, Any]:
        entry, stale = self.snapshot(project, filters)
        records = entry.ordered(sort)
        return {
            "total": len(records),
            "stale": stale,
            "offset": offset,
            "limit": limit,
            "columns": entry.columns(),
            "runs": [r.row() for r in records[offset : offset + limit]],
        }

    def groups(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        by: list[str],
        all_except: list[str],
        metrics: list[str],
    ) -> dict[str, Any]:
        entry, stale = self.snapshot(project, filters)
        records = entry.records
        keys = list(dict.fromkeys(by))
        if all_except:
            varying = entry.columns()["config_varying"]
            for key in varying:
                excluded = any(key == x or key.startswith(x + ".") for x in all_except)
                if key not in keys and not excluded:
                    keys.append(key)
        if not metrics:
            metrics = entry.columns()["summary"][:4]
        buckets: dict[tuple[str, ...], tuple[tuple[Any, ...], list[Record]]] = {}
        for record in records:
            values = tuple(record.get(k) for k in keys)
            ident = tuple(canonical(v) for v in values)
            buckets.setdefault(ident, (values, []))[1].append(record)
        ordered = sorted(buckets.values(), key=lambda b: tuple(sort_key(v) for v in b[0]))
        groups = []
        for values, members in ordered:
            stats = {}
            for metric in metrics:
                numbers = [v for v in (m.get(metric) for m in members) if finite_number(v)]
                stats[metric] = _stats(numbers)
            groups.append(
                {
                    "values": [cell(v) for v in values],
                    "count": len(members),
                    "runs": [m.fields["path"] for m in members[:200]],
                    "stats": stats,
                }
            )
        return {
            "keys": keys,
            "metrics": metrics,
            "total": len(records),
            "stale": stale,
            "groups": groups,
        }

    def diff(self, paths: list[str]) -> dict[str, Any]:
        """Config keys whose values differ between the runs (missing, null and a value told
        apart), and every summary key side by side."""
        runs = [self.api.run(p) for p in paths]
        flats = [flatten(r.config) for r in runs]
        summaries = [flatten(r.summary) for r in runs]
        config_rows = []
        for key in _keys_in_order(flats):
            values = [f.get(key, MISSING) for f in flats]
            if len({canonical(v) for v in values}) > 1:
                config_rows.append({"key": key, "values": [cell(v) for v in values]})
        summary_rows = []
        for key in _keys_in_order(summaries):
            if key.startswith("_"):
                continue
            values = [s.get(key, MISSING) for s in summaries]
            summary_rows.append(
                {
                    "key": key,
                    "differs": len({canonical(v) for v in values}) > 1,
                    "values": [cell(v) for v in values],
                }
            )
        same = sum(1 for key in _keys_in_order(flats)) - len(config_rows)
        return {
            "runs": [{"path": r.path, "name": r.name, "state": r.state} for r in runs],
            "config": config_rows,
            "same_count": same,
            "summary": summary_rows,
        }

    def run_detail(self, path: str) -> dict[str, Any]:
        run = self.api.run(path)
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
            "metrics": sorted(
                k
                for k, v in flatten(run.summary).items()
                if finite_number(v) and not k.startswith("_")
            ),
        }

    def series(self, paths: list[str], key: str, points: int) -> dict[str, Any]:
        """One metric of several runs, each thinned to about `points` points (the min and max
        of each bucket kept, so spikes survive)."""
        out = []
        for path in paths:
            run = self.api.run(path)
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

    def band(self, paths: list[str], key: str, points: int) -> dict[str, Any]:
        """The mean of one metric over several runs (a group), with ± one standard deviation:
        steps binned into about `points` bins, each run's values averaged within a bin first."""
        curves = []
        for path in paths:
            steps, values = self.api.run(path).metric(key)
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
            stats = _stats(values)
            spread = stats["std"] or 0.0
            out["steps"].append(round(first + (index + 0.5) * width - 0.5, 3))
            out["mean"].append(stats["mean"])
            out["low"].append(stats["mean"] - spread)
            out["high"].append(stats["mean"] + spread)
            out["n"].append(stats["n"])
        return out

    def points(
        self, project: str | None, filters: dict[str, Any] | None, keys: list[str]
    ) -> dict[str, Any]:
        """The values of `keys` for every matching run (for parallel coordinates and scatter)."""
        entry, stale = self.snapshot(project, filters)
        records = entry.records
        if not keys:
            keys = entry.columns()["config_varying"]
        return {
            "keys": keys,
            "stale": stale,
            "runs": [
                {
                    "path": r.fields["path"],
                    "name": r.fields["name"],
                    "values": [cell(r.get(k)) for k in keys],
                }
                for r in records
            ],
        }


def varying_config(records: list[Record]) -> tuple[list[str], list[str]]:
    """(config keys whose value differs between runs, keys equal in all), as `config.<key>`."""
    if not records:
        return [], []
    flats = [r.config for r in records]
    varying, same = [], []
    for key in _keys_in_order(flats):
        first = flats[0].get(key, MISSING)
        kind = type(first)
        first_text: str | None = None
        for flat in flats:
            value = flat.get(key, MISSING)
            if value is first or (type(value) is kind and value == first):
                continue  # the common case, without serialising
            if first_text is None:
                first_text = canonical(first)
            if canonical(value) != first_text:
                varying.append(f"config.{key}")
                break
        else:
            same.append(f"config.{key}")
    return varying, same


def summary_keys(records: list[Record]) -> list[str]:
    """Summary keys holding a number in at least one run, as `summary.<key>`."""
    keys: dict[str, None] = {}
    for record in records:
        for key, value in record.summary.items():
            if key not in keys and finite_number(value):
                keys[key] = None
    return [f"summary.{k}" for k in keys]


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


def _keys_in_order(flats: list[dict[str, Any]]) -> list[str]:
    order: dict[str, None] = {}
    for flat in flats:
        order.update(dict.fromkeys(flat))
    return list(order)


__all__ = ["Catalog", "Record", "downsample"]


def _stats(values: list[float]) -> dict[str, Any]:
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
