"""`runcard runs` without grouping: a page of the matches in a table, or every match streamed
as JSON or CSV one run at a time. The database sorts, counts and pages; only the runs shown
are read."""

from __future__ import annotations

import json

from runcard._cli import _output
from runcard._cli._values import KeyNotFound, resolve_key, value_of
from runcard._compare import MISSING, RUN_FIELDS, flatten_stored, keys_in_order, sort_by
from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from runcard import Api, ApiRun
    from runcard._cli._output import Terminal

PAGE = 50  # runs a table shows unless --limit or --all
NEWEST = "-created_at"
# run fields the database sorts by; path and tags are sorted here
STORED_ORDERS = frozenset(RUN_FIELDS) - {"tags"}


class Selection:
    """The runs `runcard runs` lists: its project, filters, and the database order of --sort."""

    def __init__(self, api: Api, project: str | None, filters: dict[str, Any] | None) -> None:
        self.api = api
        self.project = project
        self.filters = filters
        self.sample = list(api.runs(project, filters=filters, order=NEWEST, limit=PAGE))

    def runs(self, order: str, limit: int | None = None) -> Any:
        return self.api.runs(self.project, filters=self.filters, order=order, limit=limit)

    def total(self) -> int:
        return len(self.api.runs(self.project, filters=self.filters))

    def resolve(self, name: str, what: str) -> str:
        """`resolve_key` over every match: the newest page first, then the database."""
        try:
            return resolve_key(name, self.sample, what)
        except KeyNotFound:
            head, dot, rest = name.partition(".")
            bare = not (head in ("config", "summary") and dot and rest)
            for key in [f"config.{name}", f"summary.{name}"] if bare else [name]:
                try:
                    if self._holds(key):
                        return key
                except UsageError:
                    break
            raise

    def _holds(self, key: str) -> bool:
        test = {key: {"$exists": True}}
        both = {"$and": [self.filters, test]} if self.filters else test
        return bool(self.api.runs(self.project, filters=both, order=None, limit=1))


def order_of(key: str, descending: bool) -> str | None:
    """The store order for a full key, or None where it is sorted here."""
    if key.startswith(("config.", "summary.")) or key in STORED_ORDERS:
        return ("-" if descending else "+") + key
    return None


def listed_runs(selection: Selection, sort: str | None, limit: int | None) -> list[ApiRun]:
    """The runs to show: the first `limit` (every one when None) in --sort's order."""
    if not sort:
        return list(selection.runs(NEWEST, limit))
    descending = sort.startswith("-")
    key = selection.resolve(sort.lstrip("+-"), "--sort")
    order = order_of(key, descending)
    if order is not None:
        return list(selection.runs(order, limit))
    ordered = sort_by(list(selection.runs(NEWEST)), lambda r: value_of(r, key), descending)
    return ordered[:limit] if limit is not None else ordered


def streamed_runs(selection: Selection, sort: str | None, limit: int | None) -> Iterable[ApiRun]:
    """Every run to write (the first `limit`), read a page at a time where the database sorts."""
    if sort:
        descending = sort.startswith("-")
        key = selection.resolve(sort.lstrip("+-"), "--sort")
        order = order_of(key, descending)
        if order is None:
            return listed_runs(selection, sort, limit)
        return selection.runs(order, limit)
    return selection.runs(NEWEST, limit)


def stream_keys(runs: Iterable[ApiRun], fields: list[str]) -> list[str]:
    """Every key of the runs, for JSON and CSV: `fields`, then config and summary keys."""
    configs: dict[str, None] = {}
    summaries: dict[str, None] = {}
    for run in runs:
        configs.update(dict.fromkeys(keys_in_order([flatten_stored(run.config)])))
        summaries.update(dict.fromkeys(keys_in_order([flatten_stored(run.summary)])))
    return [*fields, *(f"config.{k}" for k in configs), *(f"summary.{k}" for k in summaries)]


def write_stream(term: Terminal, format: str, runs: Iterable[ApiRun], keys: list[str]) -> int:
    """The runs as JSON (as `json.dumps(list, indent=2)` writes it) or CSV, one run at a time;
    the number written."""
    written = 0
    if format == "csv":
        import csv

        writer = csv.writer(term.stream, lineterminator="\n")
        writer.writerow(keys)
        for run in runs:
            writer.writerow([_output.csv_cell(value_of(run, k)) for k in keys])
            written += 1
        return written
    stream = term.stream
    for run in runs:
        record = {k: v for k in keys if (v := value_of(run, k)) is not MISSING}
        text = json.dumps(record, indent=2, ensure_ascii=False, default=str)
        stream.write(("[\n  " if written == 0 else ",\n  ") + text.replace("\n", "\n  "))
        written += 1
    stream.write("\n]\n" if written else "[]\n")
    return written
