"""Answers about more runs than the web app holds in memory (`HELD_RUNS`): each page, count,
group and column list asked of the database, and the answers kept until the store changes.
Memory then grows with the answers (a page, a group list), never with the project."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import runcard
from runcard._compare import MISSING, canonical, sort_key, t975
from runcard.web import _feed
from runcard.web._records import Record, columns_of
from runcard.web._values import cell

HELD_RUNS = 20_000  # a (project, filter) with more matching runs is answered by the database
ANSWERS = 128  # answers kept, the least recently used dropped first
ANSWER_SECONDS = 30.0  # as the cache of runs: a silent run turns "crashed" meanwhile
COLUMN_SAMPLE = 200  # the newest runs read whole to pick the columns a page offers


class Paged:
    """Database answers for one store, kept by (question, store stamp)."""

    def __init__(self, api: runcard.Api, stamp: Callable[[], Any]) -> None:
        self.api = api
        self._stamp = stamp
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._answers_stamp: Any = None
        self._asked = threading.local()  # the stamp the answer being given reads against

    def fresh(self) -> None:
        """Read the store's stamp once for the answer about to be given: the questions it asks
        share it (on PostgreSQL a stamp is a query)."""
        self._asked.stamp = self._stamp()

    def clear(self) -> None:
        """Drop every kept answer (benchmarks: as at start-up)."""
        with self._lock:
            self._answers.clear()

    def _kept(self, question: tuple[Any, ...], work: Callable[[], Any]) -> Any:
        stamp = getattr(self._asked, "stamp", None)
        if stamp is None:
            stamp = self._stamp()
        with self._lock:
            if stamp != self._answers_stamp:
                self._answers.clear()
                self._answers_stamp = stamp
            found = self._answers.get(question)
            if found is not None and time.monotonic() - found[0] < ANSWER_SECONDS:
                self._answers.move_to_end(question)
                return found[1]
        answer = work()
        with self._lock:
            if stamp == self._answers_stamp:
                self._answers[question] = (time.monotonic(), answer)
                while len(self._answers) > ANSWERS:
                    self._answers.popitem(last=False)
        return answer

    def count(self, project: str | None, filters: dict[str, Any] | None) -> int:
        entity, name = _scope(project)
        store = self.api._open()
        return int(
            self._kept(
                ("count", project, _text(filters)),
                lambda: store.count_runs(entity, name, filters),
            )
        )

    def columns(self, project: str | None, filters: dict[str, Any] | None) -> dict[str, list[str]]:
        """The columns of the newest COLUMN_SAMPLE matching runs."""

        def work() -> dict[str, list[str]]:
            return columns_of(self._records(project, filters, "-created_at", 0, COLUMN_SAMPLE))

        return dict(self._kept(("columns", project, _text(filters)), work))

    def page(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        sort: str | None,
        offset: int,
        limit: int,
    ) -> dict[str, Any]:
        """A page of table rows, with the token for `changes` taken before it was read (good
        while the store's stamp is the same)."""

        def work() -> dict[str, Any]:
            token = _feed.start_token(self.api, project, filters)  # before the read, as always
            records = self._records(project, filters, sort or "-created_at", offset, limit)
            total = self.count(project, filters)
            return {
                "total": total,
                "stale": False,
                "columns": self.columns(project, filters),
                "columns_partial": total > COLUMN_SAMPLE,
                "token": token,
                "runs": [r.row() for r in records],
            }

        return dict(self._kept(("page", project, _text(filters), sort, offset, limit), work))

    def groups(
        self, project: str | None, filters: dict[str, Any] | None, by: list[str], metrics: list[str]
    ) -> list[dict[str, Any]]:
        """Groups as `_catalog.grouped` gives them, computed in the database; each group's run
        paths are left out (the database counts them)."""
        entity, name = _scope(project)
        store = self.api._open()

        def work() -> list[dict[str, Any]]:
            found = store.group_runs(entity, name, filters, by, metrics)
            return _merged(found, metrics)

        return list(self._kept(("groups", project, _text(filters), *by, "|", *metrics), work))

    def _records(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str,
        offset: int,
        limit: int,
    ) -> list[Record]:
        entity, name = _scope(project)
        store = self.api._open()
        # "-created_at" as the store's default order: the one its index serves
        default = order == "-created_at"
        rows = store.query_runs(
            entity, name, filters, None if default else order, limit=limit, offset=offset
        )
        return [Record(runcard.ApiRun(store, row)) for row in rows]


def groupable(keys: list[str]) -> bool:
    """Whether the database can group by (or sum) every key: config.<key> or summary.<key>."""
    return all(k.partition(".")[0] in ("config", "summary") and "." in k for k in keys)


def _merged(found: list[dict[str, Any]], metrics: list[str]) -> list[dict[str, Any]]:
    """The database's groups in value order, 7 and 7.0 one group (as `_compare.group` does),
    with each metric's n, mean, std, min, max and 95% interval."""
    buckets: dict[tuple[Any, ...], tuple[list[Any], int, dict[str, list[Any]]]] = {}
    for found_group in found:
        values = [
            v if present else MISSING
            for v, present in zip(found_group["values"], found_group["present"], strict=True)
        ]
        ident = tuple(map(canonical, values))
        sums = {m: _sums(found_group["metrics"][m]) for m in metrics}
        if ident in buckets:
            _, runs, kept = buckets[ident]
            for m in metrics:
                kept[m] = _add(kept[m], sums[m])
            buckets[ident] = (buckets[ident][0], runs + found_group["runs"], kept)
        else:
            buckets[ident] = (values, found_group["runs"], sums)
    ordered = sorted(buckets.values(), key=lambda b: tuple(map(sort_key, b[0])))
    return [
        {
            "values": [cell(v) for v in values],
            "count": runs,
            "runs": [],
            "stats": {m: _stats(sums[m]) for m in metrics},
        }
        for values, runs, sums in ordered
    ]


def _sums(found: dict[str, Any]) -> list[Any]:
    return [found["count"], found["sum"], found["sum_squares"], found["min"], found["max"]]


def _add(a: list[Any], b: list[Any]) -> list[Any]:
    if not a[0]:
        return b
    if not b[0]:
        return a
    return [a[0] + b[0], a[1] + b[1], a[2] + b[2], min(a[3], b[3]), max(a[4], b[4])]


def _stats(sums: list[Any]) -> dict[str, Any]:
    """`_values.stats` from a count, sum, sum of squares, min and max."""
    n, total, squares, low, high = sums
    found: dict[str, Any] = {"n": n, "mean": None, "std": None, "min": None, "max": None}
    found["ci95"] = None
    if not n or total is None or not math.isfinite(total):
        return found
    mean = total / n
    found.update(mean=mean, min=low, max=high)
    if n > 1 and squares is not None and math.isfinite(squares):
        std = math.sqrt(max(0.0, (squares - n * mean * mean) / (n - 1)))
        half = t975(n - 1) * std / math.sqrt(n)
        found.update(std=std, ci95=[mean - half, mean + half])
    return found


def _scope(project: str | None) -> tuple[str | None, str | None]:
    """(entity, project) of "entity/project", "project" or None, as `Api.runs` reads them."""
    if not project:
        return None, None
    parts = [p for p in project.strip("/").split("/") if p]
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _text(filters: dict[str, Any] | None) -> str:
    import json

    return json.dumps(filters, sort_keys=True, default=str)
