"""Runs as the web app holds and answers them: a `Record` (a run read whole, flattened) or a
`Projected` run (read with only some keys), both read by the same dotted keys; their order, and
the columns a page offers."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

import runcard
from runcard._compare import (
    MISSING,
    flatten_stored,
    lookup,
    sort_by,
    summary_metrics,
    varying_config,
)
from runcard.web._values import finite_number

# the run fields a table row carries
ROW_FIELDS = ("id", "path", "name", "state", "created_at", "group", "tags")


class Record:
    """One run, flattened: `fields` (id, name, state, ...), `config` and `summary` by dotted key."""

    __slots__ = ("config", "fields", "summary")

    def __init__(self, run: runcard.ApiRun) -> None:
        self.fields: dict[str, Any] = {f: getattr(run, f) for f in ROW_FIELDS}
        self.config: dict[str, Any] = flatten_stored(run.config)
        self.summary: dict[str, Any] = {
            k: v for k, v in flatten_stored(run.summary).items() if not k.startswith("_")
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
        return getattr(self.run, key) if key in ROW_FIELDS else MISSING


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
    varying, same = varying_config([r.config for r in records])
    summary = summary_metrics([r.summary for r in records], finite_number)
    return {"config_varying": varying, "config_same": same, "summary": summary}
