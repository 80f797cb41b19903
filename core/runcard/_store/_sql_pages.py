"""Reads that scale with the answer, not the project: a count, the run numbers of a listing,
runs by number, and groups with their metrics' sums, all computed in the database.

How to ask (on any SQL store, and on `Api(url=...)`'s store alike):

* a page: `store.query_runs(entity, project, filters, order, limit=50, offset=100)`;
* a count: `store.count_runs(entity, project, filters)`;
* every match, in pages that cost the same deep in the listing: `store.run_pks(...)` once (the
  run numbers in `order`), then `store.runs_by_pk(pks[i:i + n], keys)` page by page;
* groups: `store.group_runs(entity, project, filters, by=["config.lr"],
  metrics=["summary.val_acc"])`, one dict per group (see `group_runs`).
"""

from __future__ import annotations

import time

from runcard._store import _common, _query
from runcard._store._sql_read import SQLReader, one_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_GROUP_KEYS = 16
MAX_PAGE = 1000  # run numbers in one runs_by_pk


class SQLPages(SQLReader):
    def count_runs(
        self, entity: str | None, project: str | None, filters: dict[str, Any] | None
    ) -> int:
        """How many runs `query_runs` would give, counted in the database."""
        if self._db is None:
            return 0
        where, params = self._where(entity, project, filters, time.time())
        with self._reading() as db:
            return int(db.execute(f"SELECT count(*) FROM runs WHERE {where}", params).fetchone()[0])

    def run_pks(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str | None,
    ) -> list[int]:
        """The numbers of the runs `query_runs` would give, in its order."""
        if self._db is None:
            return []
        now = time.time()
        where, params = self._where(entity, project, filters, now)
        order_by, order_params = _query.order_sql(order, now, self._filters)
        sql = f"SELECT pk FROM runs WHERE {where} ORDER BY {order_by}"
        pks: list[int] = []
        with self._reading() as db:
            cursor = db.execute(sql, [*params, *order_params])
            while batch := cursor.fetchmany(10_000):
                pks.extend(pk for (pk,) in batch)
        return pks

    def runs_by_pk(self, pks: list[int], keys: list[str] | None = None) -> list[dict[str, Any]]:
        """The runs numbered `pks` (at most MAX_PAGE), in that order, as `query_runs` gives them
        (with `keys` alike); a run deleted since is left out."""
        if self._db is None or not pks:
            return []
        if len(pks) > MAX_PAGE:
            from runcard._errors import UsageError

            raise UsageError(f"runs_by_pk takes at most {MAX_PAGE} runs, got {len(pks)}")
        _query.check_keys(keys)
        where = (one_of("pk", len(pks)), [int(pk) for pk in pks])
        rows = self._select_runs(where, ("pk", []), time.time(), keys)
        found = {row["pk"]: row for row in rows}
        return [found[pk] for pk in pks if pk in found]

    def group_runs(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        by: list[str],
        metrics: list[str],
    ) -> list[dict[str, Any]]:
        """The matching runs grouped by the values of `by` (`config.<key>` / `summary.<key>`),
        in no set order: per group {"values": [value or None per key, in Python form],
        "present": [whether the runs hold the key, per key], "runs": count, "metrics":
        {metric: {"count", "sum", "sum_squares", "min", "max"} of its numbers (true and false
        are not numbers)}}. A missing key and a stored null are groups apart."""
        if self._db is None:
            return []
        _query.check_keys(by)
        _query.check_keys(metrics)
        if len(by) > MAX_GROUP_KEYS or len(metrics) > MAX_GROUP_KEYS:
            from runcard._errors import UsageError

            raise UsageError(f"group_runs takes at most {MAX_GROUP_KEYS} keys and metrics")
        now = time.time()
        where, where_params = self._where(entity, project, filters, now)
        columns: list[str] = []
        params: list[Any] = []
        for key in [*by, *metrics]:
            head, _, rest = key.partition(".")
            if not rest:
                from runcard._errors import UsageError

                raise UsageError(f"group_runs: {key!r} is not config.<key> or summary.<key>")
        for key in by:
            head, _, rest = key.partition(".")
            sql, key_params = _query.projection_sql(head, rest, self._filters)
            columns.append(sql)
            params.extend(key_params)
        for metric in metrics:
            head, _, rest = metric.partition(".")
            number, number_params = self._filters.number(head, rest)
            columns.append(number)
            params.extend(number_params)
        # each value read once per run into a materialized table, then grouped: SQLite would
        # otherwise parse the JSON again at every use of an expression
        names = [f"g{i}" for i in range(2 * len(by))]
        aggregated = [
            f"count(m{j}), sum(m{j}), sum(m{j} * m{j}), min(m{j}), max(m{j})"
            for j in range(len(metrics))
        ]
        table = ", ".join([*names, *(f"m{j}" for j in range(len(metrics))), "one"])
        sql = (
            f"WITH t({table}) AS MATERIALIZED (SELECT {', '.join([*columns, '1'])} FROM runs"
            f" WHERE {where}) SELECT {', '.join([*names, *aggregated, 'count(one)'])} FROM t"
        )
        if by:
            sql += f" GROUP BY {', '.join(names)}"
        with self._reading() as db:
            rows = db.execute(sql, [*params, *where_params]).fetchall()
        return [self._group(row, len(by), metrics) for row in rows if row[-1]]

    def _group(self, row: Any, width: int, metrics: list[str]) -> dict[str, Any]:
        values, present = [], []
        for i in range(width):
            kind, value = row[2 * i], row[2 * i + 1]
            present.append(kind is not None)
            if kind in self._decoded_kinds:
                value = self._projected(kind, value)
            values.append(None if kind is None else value)
        stats = {}
        for j, metric in enumerate(metrics):
            count, total, squares, low, high = row[2 * width + 5 * j : 2 * width + 5 * j + 5]
            stats[metric] = {
                "count": int(count),
                "sum": _float(total),
                "sum_squares": _float(squares),
                "min": _float(low),
                "max": _float(high),
            }
        return {"values": values, "present": present, "runs": int(row[-1]), "metrics": stats}

    def _where(
        self, entity: str | None, project: str | None, filters: dict[str, Any] | None, now: float
    ) -> tuple[str, list[Any]]:
        return _query.where_sql(_common.scoped(entity, project, filters), now, self._filters)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
