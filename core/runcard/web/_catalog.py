"""The web app's read model over `runcard.Api`: runs of a project as flat records, cached until
the store changes, and the answers the JSON API gives (pages, groups, diffs, series).

The whole read of 10,000 runs (every config and summary decoded and flattened) takes about half
a second, so nothing waits for it: an answer asked before it is in memory is read straight from
the store with only the keys it needs (`Api.runs(keys=...)`), and the whole read starts in a
thread for the answers after it."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import runcard
from runcard._compare import (
    MISSING,
    aggregate,
    canonical,
    flatten,
    lookup,
    sort_by,
    sort_key,
)
from runcard.web import _feed
from runcard.web._values import cell, finite_number

RUN_FIELDS = ("id", "path", "name", "state", "created_at", "group", "tags")
CACHE_SECONDS = 30.0
SYNC_LOAD_SECONDS = 0.2
COLUMN_SAMPLE = 200  # runs read whole to pick the first page's columns before the whole read
READ_WAIT_SECONDS = 60.0
GIVE_WAY_SECONDS = 2.0  # the longest a read in a thread waits for answers at each turn
# a page asks its next questions (columns, then groups) right after its first answer: a read
# in a thread starts after them, as it cannot give way once inside Api.runs()
FOLLOW_UP_SECONDS = 0.05


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


class Projected:
    """A run read with `Api.runs(keys=...)`, answering `get` as a Record of the whole run
    would for those keys and the run fields, without flattening anything."""

    __slots__ = ("run",)

    def __init__(self, run: runcard.ApiRun) -> None:
        self.run = run

    def get(self, key: str) -> Any:
        head, _, rest = key.partition(".")
        if head == "config" and rest:
            return lookup(self.run.config, rest)
        if head == "summary" and rest:
            return MISSING if rest.startswith("_") else lookup(self.run.summary, rest)
        return getattr(self.run, key) if key in RUN_FIELDS else MISSING


Keyed = TypeVar("Keyed", Record, Projected)
Answer = TypeVar("Answer", bound=Callable[..., Any])


def collector_paused(function: Answer) -> Answer:
    """Run `function` with the cyclic garbage collector paused. Reads build 10,000s of objects
    and no cycles: a collection meanwhile would only walk them, and every cached record, again
    (it makes a read from the store 1.5x as long). Whoever paused it first resumes it."""

    @functools.wraps(function)
    def paused(*args: Any, **kwargs: Any) -> Any:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return paused  # type: ignore[return-value]


def in_order(records: list[Keyed], sort: str | None) -> list[Keyed]:
    """`records` (newest first) sorted by `sort` (`-key` descending, the default
    `-created_at`); NaN, null and missing values last, ties newest first."""
    key = (sort or "-created_at").lstrip("+-")
    descending = not sort or sort.startswith("-")
    if key == "created_at":
        return records if descending else records[::-1]
    return sort_by(records, lambda r: r.get(key), descending)


def columns_of(records: list[Record]) -> dict[str, list[str]]:
    """Config keys that vary, config keys equal in all runs, numeric summary keys."""
    varying, same = varying_config(records)
    return {"config_varying": varying, "config_same": same, "summary": summary_keys(records)}


class _Entry:
    """Cached runs of one (project, filter): the store stamp they were read at, when, how long
    the read took, and the change-feed token taken just before it."""

    __slots__ = ("_columns", "_orders", "checked", "load_seconds", "records", "stamp", "token")

    def __init__(
        self, stamp: tuple[Any, ...], records: list[Record], load_seconds: float, token: str
    ) -> None:
        self.stamp = stamp
        self.checked = time.monotonic()
        self.records = records
        self.load_seconds = load_seconds
        self.token = token
        self._columns: dict[str, list[str]] | None = None
        self._orders: dict[str, list[Record]] = {}

    def columns(self) -> dict[str, list[str]]:
        if self._columns is None:
            self._columns = columns_of(self.records)
        return self._columns

    def ordered(self, sort: str | None) -> list[Record]:
        name = sort or "-created_at"
        if name not in self._orders:
            self._orders[name] = in_order(self.records, sort)
            if len(self._orders) > 16:
                self._orders.pop(next(iter(self._orders)))
        return self._orders[name]


class Catalog:
    """Answers for the API. Runs of a (project, filter) are read through `runcard.Api` and kept
    until the store's files change (or `CACHE_SECONDS` pass: a silent run turns "crashed").
    Stale runs are re-read at once when that is quick (under `SYNC_LOAD_SECONDS`); otherwise
    the answer comes from the last read, marked `stale`, while a thread re-reads them. Before
    the first read of a (project, filter) is in memory, pages, groups and points are read
    straight from the store with only the keys they need."""

    def __init__(self, dir: str | None = None) -> None:
        self.api = runcard.Api(dir=dir)
        self._root: str = self.api._root
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._reading: dict[tuple[str, str], threading.Thread] = {}
        self._wanted: dict[tuple[str, str], tuple[str | None, dict[str, Any] | None]] = {}
        self._answering = 0  # requests being answered now
        self._awaited: set[tuple[str, str]] = set()  # reads in threads a request waits for

    # -- reading -----------------------------------------------------------------------------
    def _stamp(self) -> Any:
        return self.api._open().change_stamp()

    def _exists(self) -> bool:
        return bool(self.api._open().exists)

    @staticmethod
    def _key(project: str | None, filters: dict[str, Any] | None) -> tuple[str, str]:
        return (project or "", json.dumps(filters, sort_keys=True))

    @collector_paused
    def _read(
        self,
        api: runcard.Api,
        project: str | None,
        filters: dict[str, Any] | None,
        in_thread: tuple[str, str] | None = None,
    ) -> _Entry:
        """Every matching run, whole, newest first. `in_thread`: the key of a read in a thread,
        which lets the requests being answered go first unless one waits for it."""
        if in_thread:
            time.sleep(FOLLOW_UP_SECONDS)
            self._give_way(in_thread)
        stamp = self._stamp()  # before the read: a write during it leaves the entry stale
        start = time.perf_counter()
        token = _feed.start_token(api, project, filters)
        runs = api.runs(project or None, filters=filters, order="-created_at")
        records: list[Record] = []
        for first in range(0, len(runs), 250):
            if in_thread:
                self._give_way(in_thread)
            records.extend(Record(r) for r in runs[first : first + 250])
        entry = _Entry(stamp, records, 0.0, token)
        if in_thread:
            self._give_way(in_thread)
        entry.columns()  # here, in the reading thread, not in the first answer from memory
        entry.load_seconds = time.perf_counter() - start
        return entry

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the answer to a request: reads in threads wait meanwhile (two threads share
        the interpreter, so a read running beside an answer doubles the answer's time)."""
        self._answering += 1
        try:
            yield
        finally:
            self._answering -= 1

    def _give_way(self, key: tuple[str, str]) -> None:
        waited = 0.0
        while self._answering > 0 and key not in self._awaited and waited < GIVE_WAY_SECONDS:
            time.sleep(0.002)
            waited += 0.002

    def _usable(
        self, key: tuple[str, str], project: str | None, filters: dict[str, Any] | None
    ) -> tuple[_Entry, bool] | None:
        """(the cached entry, whether it is stale) when it may answer; a stale one whose read
        was slow is re-read in a thread meanwhile. Call with the lock held."""
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry.stamp == self._stamp() and time.monotonic() - entry.checked < CACHE_SECONDS:
            return entry, False
        if entry.load_seconds >= SYNC_LOAD_SECONDS:
            self._read_in_thread(key, project, filters)
            return entry, True
        return None  # quick to read again: the caller does

    def snapshot(self, project: str | None, filters: dict[str, Any] | None) -> tuple[_Entry, bool]:
        """(runs of `project` ("entity/project", "project" or None for all) matching `filters`,
        newest first; whether they may be out of date). Raises runcard.UsageError for a bad
        filter."""
        if not self._exists():
            return _Entry((), [], 0.0, ""), False
        key = self._key(project, filters)
        with self._lock:
            found = self._usable(key, project, filters)
            reading = self._reading.get(key)
        if found is None and reading is not None:  # the same read is under way: wait for it
            self._awaited.add(key)
            try:
                reading.join(READ_WAIT_SECONDS)
            finally:
                self._awaited.discard(key)
            with self._lock:
                found = self._usable(key, project, filters)
        if found is not None:
            return found
        entry = self._read(self.api, project, filters)
        self._keep(key, entry)
        return entry, False

    def in_memory(
        self, project: str | None, filters: dict[str, Any] | None
    ) -> tuple[_Entry, bool] | None:
        """Like `snapshot`, but None when nothing of `project` and `filters` has been read yet
        (the caller then answers from the store, and calls `want`)."""
        with self._lock:
            if self._exists() and self._key(project, filters) not in self._cache:
                return None
        return self.snapshot(project, filters)

    def want(self, project: str | None, filters: dict[str, Any] | None) -> None:
        """Ask for the whole read of `project` and `filters`, once the answer is sent."""
        with self._lock:
            self._wanted[self._key(project, filters)] = (project, filters)

    def start_wanted_reads(self) -> None:
        """Start the whole reads that answers from the store asked for. The app calls this once
        its answer is sent: started earlier, a read would share the interpreter with the
        answer and slow it down."""
        with self._lock:
            for key, (project, filters) in self._wanted.items():
                if key not in self._cache:
                    self._read_in_thread(key, project, filters)
            self._wanted.clear()

    def _keep(self, key: tuple[str, str], entry: _Entry) -> None:
        with self._lock:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = entry

    def _read_in_thread(
        self, key: tuple[str, str], project: str | None, filters: dict[str, Any] | None
    ) -> None:
        """Start reading `key` whole in a thread, unless that is under way. Call with the lock
        held."""
        if key in self._reading:
            return
        thread = threading.Thread(
            target=self._read_and_keep,
            args=(key, project, filters),
            name="runcard-ui-read",
            daemon=True,
        )
        self._reading[key] = thread
        thread.start()

    def _read_and_keep(
        self, key: tuple[str, str], project: str | None, filters: dict[str, Any] | None
    ) -> None:
        try:  # a connection of its own: the app's serves requests meanwhile
            self._keep(key, self._read(runcard.Api(dir=self._root), project, filters, key))
        except runcard.Error:
            pass  # requests read the store themselves
        finally:
            with self._lock:
                self._reading.pop(key, None)

    def warm(self) -> threading.Thread:
        """Read every project's runs in a thread (its own connection), so that the first page
        a browser asks for is answered from memory."""

        def work() -> None:
            try:
                if not self._exists():
                    return
                api = runcard.Api(dir=self._root)
                for project in api.projects():
                    path = f"{project.entity}/{project.name}"
                    key = self._key(path, None)
                    with self._lock:
                        if key in self._cache or key in self._reading:
                            continue
                        self._reading[key] = threading.current_thread()
                    try:
                        self._keep(key, self._read(api, path, None, key))
                    finally:
                        with self._lock:
                            self._reading.pop(key, None)
            except runcard.Error:
                return  # requests read the store themselves

        thread = threading.Thread(target=work, name="runcard-ui-warm", daemon=True)
        thread.start()
        return thread

    def wait_for_reads(self, timeout: float = READ_WAIT_SECONDS) -> None:
        """Wait until no read started in a thread is under way (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        self.start_wanted_reads()
        while True:
            with self._lock:
                threads = list(self._reading.values())
            if not threads or time.monotonic() > deadline:
                return
            threads[0].join(max(0.0, deadline - time.monotonic()))

    def forget(self) -> None:
        """Drop every cached read, as at start-up (benchmarks)."""
        self.wait_for_reads()
        with self._lock:
            self._cache.clear()

    def _projected(
        self, project: str | None, filters: dict[str, Any] | None, keys: list[str]
    ) -> list[Projected]:
        """Every matching run, newest first, read from the store with only `keys` of its config
        and summary: for answers about a few keys asked before the whole read is in memory."""
        stored = [k for k in keys if k.startswith(("config.", "summary."))]
        runs = self.api.runs(project or None, filters=filters, order="-created_at", keys=stored)
        return [Projected(run) for run in runs]

    def _whole(self, project: str | None, listed: list[Projected]) -> dict[str, Record]:
        """The runs of `listed` read again whole, by path."""
        ids = list(dict.fromkeys(p.run.id for p in listed))
        return {run.path: Record(run) for run in _feed.runs_with_ids(self.api, project, ids)}

    @collector_paused
    def changes(
        self, project: str | None, filters: dict[str, Any] | None, token: str | None
    ) -> dict[str, Any]:
        """The runs changed since `token` (from a page or an earlier answer) as table rows, the
        paths of those created since, how many matching runs are running, and the token for
        the next call. Without a token: nothing yet, and a token for now."""
        if not self._exists():
            return {"token": "", "runs": [], "created": [], "live": 0}
        if not token:
            return {
                "token": _feed.start_token(self.api, project, filters),
                "runs": [],
                "created": [],
                "live": 0,
            }
        since, seen, live = _feed.read_token(token)
        now = time.time()
        watched = _feed.watched_runs(self.api, project, filters, since, live)
        changed = [r for r in watched if _feed.fingerprint(r) not in seen]
        return {
            "token": _feed.make_token(now, watched),
            "runs": [Record(r).row() for r in changed],
            "created": [r.path for r in changed if _feed.epoch(r.created_at) > since],
            "live": sum(1 for r in watched if r.state == "running"),
        }

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
    @collector_paused
    def runs_page(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        sort: str | None,
        offset: int,
        limit: int,
    ) -> dict[str, Any]:
        """A page of table rows, the columns to offer, and a token for `changes`."""
        found = self.in_memory(project, filters)
        if found is None:
            page = self._page_from_store(project, filters, sort, offset, limit)
            self.want(project, filters)
            return page
        entry, stale = found
        records = entry.ordered(sort)
        return {
            "total": len(records),
            "stale": stale,
            "offset": offset,
            "limit": limit,
            "columns": entry.columns(),
            "columns_partial": False,
            "token": entry.token,
            "runs": [r.row() for r in records[offset : offset + limit]],
        }

    def _page_from_store(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        sort: str | None,
        offset: int,
        limit: int,
    ) -> dict[str, Any]:
        """A page before the whole read is in memory: the matching runs listed with only the
        sort key and put in order as `in_order` does (so later pages, read from memory, follow
        on), then the page's runs and a spread sample read whole. The columns come from the
        sample: exact when it holds every run, else marked `columns_partial`."""
        token = _feed.start_token(self.api, project, filters)
        key = (sort or "-created_at").lstrip("+-")
        listed = self._projected(project, filters, [] if key == "created_at" else [key])
        listing = in_order(listed, sort)
        page = listing[offset : offset + limit]
        sample = listing[:: max(1, len(listing) // COLUMN_SAMPLE)]
        whole = self._whole(project, page + sample)
        return {
            "total": len(listing),
            "stale": False,
            "offset": offset,
            "limit": limit,
            "columns": columns_of(list(whole.values())),
            "columns_partial": len(whole) < len(listing),
            "token": token,
            "runs": [whole[p.run.path].row() for p in page if p.run.path in whole],
        }

    @collector_paused
    def groups(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        by: list[str],
        all_except: list[str],
        metrics: list[str],
    ) -> dict[str, Any]:
        keys = list(dict.fromkeys(by))
        # named keys and metrics can be read alone; the others are the whole read's columns
        found = (
            self.in_memory(project, filters)
            if metrics and not all_except
            else self.snapshot(project, filters)
        )
        records: list[Record] | list[Projected]
        if found is None:
            records, stale = self._projected(project, filters, [*keys, *metrics]), False
            self.want(project, filters)
        else:
            entry, stale = found
            records = entry.records
            for key in entry.columns()["config_varying"] if all_except else []:
                excluded = any(key == x or key.startswith(x + ".") for x in all_except)
                if key not in keys and not excluded:
                    keys.append(key)
            metrics = metrics or entry.columns()["summary"][:4]
        return {
            "keys": keys,
            "metrics": metrics,
            "total": len(records),
            "stale": stale,
            "groups": grouped(records, keys, metrics),
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
            "metrics": metric_keys(run),
        }

    @collector_paused
    def history(self, path: str, keys: list[str], since_step: int, points: int) -> dict[str, Any]:
        """A run's state and summary, and for each metric in `keys` (default: every metric) the
        points logged after step `since_step`, thinned to about `points`. Each metric's
        `last_step` is the since_step that asks for what comes after this answer (a step logged
        later below it is not asked for again)."""
        run = self.api.run(path)  # the state first: once it says ended, every point is stored
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

    @collector_paused
    def points(
        self, project: str | None, filters: dict[str, Any] | None, keys: list[str]
    ) -> dict[str, Any]:
        """The values of `keys` for every matching run (for parallel coordinates and scatter);
        without keys, the config keys that vary."""
        found = self.in_memory(project, filters) if keys else self.snapshot(project, filters)
        records: list[Record] | list[Projected]
        if found is None:
            records, stale = self._projected(project, filters, keys), False
            self.want(project, filters)
        else:
            entry, stale = found
            records = entry.records
            keys = keys or entry.columns()["config_varying"]
        return {
            "keys": keys,
            "stale": stale,
            "runs": [
                {
                    "path": r.get("path"),
                    "name": r.get("name"),
                    "values": [cell(r.get(k)) for k in keys],
                }
                for r in records
            ],
        }


def grouped(
    records: list[Record] | list[Projected], keys: list[str], metrics: list[str]
) -> list[dict[str, Any]]:
    """Runs bucketed by their values of `keys` (missing and null apart), in value order, each
    bucket with its count, up to 200 run paths, and the stats of every metric."""
    buckets: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[Any]]] = {}
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
                "runs": [m.get("path") for m in members[:200]],
                "stats": stats,
            }
        )
    return groups


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


def metric_keys(run: runcard.ApiRun) -> list[str]:
    """The run's metrics: summary keys holding a number a chart can draw."""
    return sorted(
        k for k, v in flatten(run.summary).items() if finite_number(v) and not k.startswith("_")
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
