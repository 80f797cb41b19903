"""The answers the web app's JSON API gives about runs of a project (pages, groups, points,
diffs, what changed), from the runs `RunCache` holds or, before they are in memory, straight
from the store with only the keys an answer needs."""

from __future__ import annotations

import time
from operator import methodcaller
from typing import Any

from runcard._compare import MISSING, canonical, flatten_stored, group, keys_in_order
from runcard.web import _feed, _paged
from runcard.web._cache import RunCache
from runcard.web._paged import Paged, groupable
from runcard.web._records import Projected, Record, collector_paused, columns_of, in_order
from runcard.web._values import cell, finite_number, stats

COLUMN_SAMPLE = 200  # runs read whole to pick the first page's columns before the whole read


class Catalog(RunCache):
    """Answers for the API, over the runs `RunCache` keeps; for more matching runs than it
    holds (`_paged.HELD_RUNS`), over answers from the database (`Paged`)."""

    def __init__(self, dir: str | None = None) -> None:
        super().__init__(dir)
        self.paged = Paged(self.api, self._stamp)

    def forget(self) -> None:
        super().forget()
        self.paged.clear()

    def _large(self, project: str | None, filters: dict[str, Any] | None) -> bool:
        """Whether more runs match than the cache holds (then nothing of them is held)."""
        if not self._exists() or self._key(project, filters) in self._cache:
            return False
        self.paged.fresh()
        return self.paged.count(project, filters) > _paged.HELD_RUNS

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
            return {"token": "", "runs": [], "created": [], "live": 0, "removed": 0}
        if not token:
            return {
                "token": _feed.start_token(self.api, project, filters),
                "runs": [],
                "created": [],
                "live": 0,
                "removed": 0,
            }
        since, seen, live, marks = _feed.read_token(token)
        now = time.time()
        top, new, revised = _feed.store_changes(self.api, marks)  # before the runs' read
        watched = _feed.watched_runs(self.api, project, filters, since, live, [*new, *revised])
        edited, created = set(revised), set(new)
        changed = [r for r in watched if r.path in edited or _feed.fingerprint(r) not in seen]
        return {
            "token": _feed.make_token(now, watched, top),
            "runs": [Record(r).row() for r in changed],
            "created": [
                r.path for r in changed if r.path in created or _feed.epoch(r.created_at) > since
            ],
            "live": sum(1 for r in watched if r.state == "running"),
            "removed": max(0, marks[2] + len(new) - top[2]) if marks else 0,
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
        window = slice(offset, offset + limit)
        if self._large(project, filters):
            page = self.paged.page(project, filters, sort, offset, limit)
            return {**page, "offset": offset, "limit": limit}
        found = self.in_memory(project, filters)
        if found is None:
            page = self._page_from_store(project, filters, sort, window)
            self.want(project, filters)
        else:
            entry, stale = found
            records = entry.ordered(sort)
            page = {
                "total": len(records),
                "stale": stale,
                "columns": entry.columns(),
                "columns_partial": False,
                "token": entry.token,
                "runs": [r.row() for r in records[window]],
            }
        return {**page, "offset": offset, "limit": limit}

    def _page_from_store(
        self, project: str | None, filters: dict[str, Any] | None, sort: str | None, window: slice
    ) -> dict[str, Any]:
        """A page before the whole read is in memory: the matching runs listed with only the
        sort key and put in order as `in_order` does (so later pages, read from memory, follow
        on), then the page's runs and a spread sample read whole. The columns come from the
        sample: exact when it holds every run, else marked `columns_partial`."""
        token = _feed.start_token(self.api, project, filters)
        key = (sort or "-created_at").lstrip("+-")
        listed = self._projected(project, filters, [] if key == "created_at" else [key])
        listing = in_order(listed, sort)
        page = listing[window]
        sample = listing[:: max(1, len(listing) // COLUMN_SAMPLE)]
        whole = self._whole(project, page + sample)
        return {
            "total": len(listing),
            "stale": False,
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
        if self._large(project, filters):
            return self._large_groups(project, filters, keys, all_except, metrics)
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

    def _large_groups(
        self,
        project: str | None,
        filters: dict[str, Any] | None,
        keys: list[str],
        all_except: list[str],
        metrics: list[str],
    ) -> dict[str, Any]:
        """`groups` of more runs than the cache holds: grouped in the database, the columns
        (for `all_except` and the default metrics) from the newest runs."""
        if all_except or not metrics:
            columns = self.paged.columns(project, filters)
            for key in columns["config_varying"] if all_except else []:
                excluded = any(key == x or key.startswith(x + ".") for x in all_except)
                if key not in keys and not excluded:
                    keys.append(key)
            metrics = metrics or columns["summary"][:4]
        if groupable([*keys, *metrics]) and len(keys) <= 16 and len(metrics) <= 16:
            found = self.paged.groups(project, filters, keys, metrics)
            total = self.paged.count(project, filters)
        else:  # a run field: the runs read with only those keys, for this answer alone
            records = self._projected(project, filters, [*keys, *metrics])
            found, total = grouped(records, keys, metrics), len(records)
        return {"keys": keys, "metrics": metrics, "total": total, "stale": False, "groups": found}

    def diff(self, paths: list[str]) -> dict[str, Any]:
        """Config keys whose values differ between the runs (missing, null and a value told
        apart), and every summary key side by side."""
        runs = [self.api.run(p) for p in paths]
        flats = [flatten_stored(r.config) for r in runs]
        summaries = [flatten_stored(r.summary) for r in runs]
        config_rows = []
        for key in keys_in_order(flats):
            values = [f.get(key, MISSING) for f in flats]
            if len({canonical(v) for v in values}) > 1:
                config_rows.append({"key": key, "values": [cell(v) for v in values]})
        summary_rows = []
        for key in keys_in_order(summaries):
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
        same = sum(1 for key in keys_in_order(flats)) - len(config_rows)
        return {
            "runs": [{"path": r.path, "name": r.name, "state": r.state} for r in runs],
            "config": config_rows,
            "same_count": same,
            "summary": summary_rows,
        }

    @collector_paused
    def points(
        self, project: str | None, filters: dict[str, Any] | None, keys: list[str]
    ) -> dict[str, Any]:
        """The values of `keys` for every matching run (for parallel coordinates and scatter);
        without keys, the config keys that vary."""
        records: list[Record] | list[Projected]
        large = self._large(project, filters)
        if large:  # read for this answer alone, not kept
            keys = keys or self.paged.columns(project, filters)["config_varying"]
            found = None
        else:
            found = self.in_memory(project, filters) if keys else self.snapshot(project, filters)
        if large:
            records, stale = self._projected(project, filters, keys), False
        elif found is None:
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
    items: list[Any] = records
    groups = []
    for values, members in group(items, [methodcaller("get", k) for k in keys]):
        found = {}
        for metric in metrics:
            numbers = [v for v in (m.get(metric) for m in members) if finite_number(v)]
            found[metric] = stats(numbers)
        groups.append(
            {
                "values": [cell(v) for v in values],
                "count": len(members),
                "runs": [m.get("path") for m in members[:200]],
                "stats": found,
            }
        )
    return groups
