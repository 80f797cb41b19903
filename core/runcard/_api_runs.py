"""`Api.runs()`'s answer: the matching runs, read from the store a page at a time."""

from __future__ import annotations

from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from runcard._api import ApiRun
    from runcard._store import Store


class Runs:
    """The runs matching a query, in its order, as wandb's `Runs`: `len(runs)` is counted by the
    database, `runs[i]` and `runs[i:j]` read only those runs, and iterating reads `per_page`
    runs per query, each run's config and summary decoded when first read. Nothing is kept
    between pages, so a loop over a million runs holds one page at a time.

    Iteration lists the matches when it starts (their numbers only): runs created meanwhile are
    not in it, and runs deleted meanwhile are passed over."""

    def __init__(
        self,
        store: Store,
        scope: tuple[str | None, str | None],
        filters: dict[str, Any] | None,
        order: str | None,
        keys: list[str] | None,
        per_page: int,
        limit: int | None,
        make: Callable[[dict[str, Any]], ApiRun],
    ) -> None:
        self._store = store
        self._make = make  # a stored run's fields as an ApiRun
        self._entity, self._project = scope
        self.filters = filters
        self.order = order
        self._keys = keys
        self.per_page = per_page
        self.limit = limit
        self._length: int | None = None

    def __len__(self) -> int:
        if self._length is None:
            count = self._store.count_runs(self._entity, self._project, self.filters)
            self._length = count if self.limit is None else min(count, self.limit)
        return self._length

    def __eq__(self, other: object) -> bool:
        # Api.runs() gave a list before: scripts that compare its answer with one still work
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return bool(self._read(0, 1))

    def to_pandas(self) -> Any:
        """One row per run: the run fields (`id`, `name`, `group`, `state`, `tags`, `created_at`,
        ...), then `config.<key>` and `summary.<key>` columns (nested keys dotted), each column
        typed by what its values share, as `runcard export` writes them. Needs pandas."""
        from runcard._export import runs_frame

        return runs_frame(self)

    def __iter__(self) -> Iterator[ApiRun]:
        pks = self._store.run_pks(self._entity, self._project, self.filters, self.order)
        if self.limit is not None:
            del pks[self.limit :]
        self._length = len(pks)
        step = min(self.per_page, 1000)
        for start in range(0, len(pks), step):
            rows = self._store.runs_by_pk(pks[start : start + step], self._keys)
            yield from self._runs(rows)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, stride = index.indices(len(self))
            if stride != 1:
                return list(self)[index]
            return self._runs(self._read(start, max(stop - start, 0)))
        if not isinstance(index, int):
            raise TypeError(f"runs indices must be integers or slices, not {type(index).__name__}")
        position = index + len(self) if index < 0 else index
        if self.limit is not None and position >= self.limit:
            raise IndexError("runs index out of range")
        found = self._read(position, 1) if position >= 0 else []
        if not found:
            raise IndexError("runs index out of range")
        return self._runs(found)[0]

    def groups(self, by: list[str], metrics: list[str]) -> list[dict[str, Any]]:
        """These runs (`limit` aside) grouped by the values of `by` (`config.<key>`,
        `summary.<key>`) in the database, with count, sum, sum of squares, min and max of
        each metric's numbers: see `Store.group_runs`."""
        return self._store.group_runs(self._entity, self._project, self.filters, by, metrics)

    def _read(self, offset: int, count: int) -> list[dict[str, Any]]:
        if self.limit is not None:
            count = max(min(count, self.limit - offset), 0)
        if count == 0:
            return []
        return self._store.query_runs(
            self._entity,
            self._project,
            self.filters,
            self.order,
            limit=count,
            keys=self._keys,
            offset=offset,
        )

    def _runs(self, rows: list[dict[str, Any]]) -> list[ApiRun]:
        return list(map(self._make, rows))

    def __repr__(self) -> str:
        where = "/".join(p for p in (self._entity, self._project) if p) or "every project"
        return f"<runcard Runs of {where}>"


def scope_of(path: str | None) -> tuple[str | None, str | None]:
    """(entity, project) of `Api.runs`' path: `entity/project`, `project` or None."""
    if not path:
        return None, None
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise UsageError(f"Api.runs({path!r}): give 'entity/project' or 'project'")


def check_query(
    scope: tuple[str | None, str | None],
    filters: Any,
    order: Any,
    keys: Any,
    per_page: Any,
    limit: Any,
) -> None:
    """UsageError for an `Api.runs` query that cannot work, raised when it is asked, before any
    run is read (and where a store not created yet would answer [] without looking)."""
    from runcard._store._common import scoped
    from runcard._store._query import check_keys, order_sql, where_sql

    where_sql(scoped(*scope, filters), 0.0)  # check_size within scoped
    order_sql(order, 0.0)
    check_keys(keys)
    for name, value in (("per_page", per_page), ("limit", limit)):
        if value is not None and (type(value) is not int or value < (name == "per_page")):
            raise UsageError(f"Api.runs({name}={value!r}): give a whole number of runs")
