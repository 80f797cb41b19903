"""The Store interface: what runcard persists, and how it reads it back.

`Run` and `Config` hand batches to the background writer, which calls `write_batch`; the Api
reads and edits through the other methods; `runcard sync` pushes one store's runs into
another's. `_sql.SQLStore` implements it once for SQLite and PostgreSQL; `_http.RemoteStore`
implements its read side over a `runcard server`.
"""

from __future__ import annotations

import abc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._config import Revision
    from runcard._history import EncodedChunk

    History = list[tuple[list[int], list[float], dict[str, tuple[Any, list[Any]]]]]

# The run fields a push carries and a server takes as they are (see runcard._sync); config
# travels as revisions, and summary, descriptions and host are merged.
PUSHED_FIELDS = (
    "name",
    "group_name",
    "job_type",
    "tags",
    "notes",
    "mode",
    "state",
    "exit_code",
    "created_at",
    "finished_at",
    "heartbeat_at",
    "heartbeat_interval",
    "sweep",
)


class _Removed:
    def __repr__(self) -> str:
        return "REMOVED"


# a summary value that removes its key (`del run.summary[key]`)
REMOVED: Any = _Removed()


def merge_document(old: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`old` with `values` set, and the keys whose value is REMOVED taken out."""
    merged = {**old, **values}
    if REMOVED in values.values():
        merged = {k: v for k, v in merged.items() if v is not REMOVED}
    return merged


class Batch:
    """What the writer stores in one transaction."""

    __slots__ = ("descriptions", "final", "history", "host", "revisions", "summary")

    def __init__(self) -> None:
        self.revisions: list[Revision] = []
        self.history: list[EncodedChunk] = []
        self.summary: dict[str, Any] = {}
        self.descriptions: dict[str, str] = {}
        self.host: dict[str, Any] = {}
        # on a run's last write: its end state and exit code (as `finish_run` takes them)
        self.final: tuple[str, int | None] | None = None


class Store(abc.ABC):
    """A project store. A run is addressed by its pk, the integer this store gave it.

    Every method raises StoreError when the store cannot be read or written, and UsageError
    for arguments that cannot work (a filter past its bounds, say)."""

    path: str  # the database file, or the URL without its password
    exists: bool  # False for a store opened with create=False that was never created

    # -- a run's life, from the writer ----------------------------------------------------
    @abc.abstractmethod
    def create_run(self, fields: dict[str, Any], revisions: list[Revision]) -> int | None:
        """Create a running run from `fields` (entity, project, run_id, name or name_stem,
        mode, created_at, heartbeat_interval, ...) with config `revisions`; its pk, or None
        when a run with that entity, project and id is already here (the caller joins it)."""

    @abc.abstractmethod
    def find_run(
        self, entity: str | None, project: str | None, run_id: str
    ) -> dict[str, Any] | None:
        """A run by id, within `entity` / `project` when given, as `query_runs` gives it."""

    @abc.abstractmethod
    def reopen_run(self, pk: int, heartbeat_interval: float, host: dict[str, Any]) -> None:
        """Mark a stored run running again (a resume), merging `host` into its host facts."""

    @abc.abstractmethod
    def last_step(self, pk: int) -> int | None:
        """The highest step logged to a run (None before any), to resume it."""

    @abc.abstractmethod
    def write_batch(self, pk: int, batch: Batch, heartbeat: bool = False) -> None:
        """Store `batch` in one transaction (nothing when it is empty and heartbeat is False).
        New chunks are numbered here; a failed write leaves them unnumbered. StoreError when
        the run is no longer in the store (deleted meanwhile)."""

    @abc.abstractmethod
    def finish_run(self, pk: int, state: str, exit_code: int | None) -> None:
        """Record a run's end state and exit code."""

    # -- reads and edits, from the Api ----------------------------------------------------
    @abc.abstractmethod
    def query_runs(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str | None,
        limit: int | None = None,
        keys: list[str] | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Runs matching the MongoDB-style `filters`, sorted by `order`, as dicts of their
        fields (config, summary, descriptions and host as JSON text); at most `limit` of them,
        from the `offset`th on. With `keys` (`config.<dotted>`, `summary.<dotted>`, `config`,
        `summary`), config and summary hold only those keys, decoded, and descriptions and host
        are left empty."""

    @abc.abstractmethod
    def count_runs(
        self, entity: str | None, project: str | None, filters: dict[str, Any] | None
    ) -> int:
        """How many runs `query_runs` would give, counted without reading them."""

    @abc.abstractmethod
    def run_pks(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str | None,
    ) -> list[int]:
        """The pks of the runs `query_runs` would give, in its order: read every match page by
        page with `runs_by_pk`, each page as cheap as the first."""

    @abc.abstractmethod
    def runs_by_pk(self, pks: list[int], keys: list[str] | None = None) -> list[dict[str, Any]]:
        """The runs of `pks` (at most 1000) in that order, as `query_runs` gives them (with
        `keys` alike); a run deleted since is left out."""

    @abc.abstractmethod
    def group_runs(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        by: list[str],
        metrics: list[str],
    ) -> list[dict[str, Any]]:
        """The matching runs grouped in the database by the values of `by` (config.<key>,
        summary.<key>), one dict per group, in no set order: "values" (per key, None when
        missing), "present" (per key), "runs" (the count), and "metrics": {metric: count, sum,
        sum_squares, min and max of its numbers}."""

    @abc.abstractmethod
    def projects(self) -> list[tuple[str, str, int]]:
        """(entity, project, number of runs) of every project, sorted by project."""

    @abc.abstractmethod
    def revisions(self, pk: int, scope: str) -> list[dict[str, Any]]:
        """The run's revisions of `scope` (config, summary or run), oldest first."""

    @abc.abstractmethod
    def history(self, pk: int, keys: list[str] | None = None, times: bool = True) -> History:
        """The run's history chunk by chunk: (steps, times, {key: (row positions, values)}),
        only the columns of `keys` when given, and no times with times=False."""

    @abc.abstractmethod
    def edit_run(
        self,
        pk: int,
        fields: dict[str, Any],
        revisions: list[Revision],
        summary_revisions: list[Revision],
    ) -> None:
        """Edits made through the Api: run fields, config and summary, each recorded as a
        revision."""

    @abc.abstractmethod
    def delete_run(self, pk: int) -> None:
        """Remove the run and everything stored under it."""

    @abc.abstractmethod
    def change_stamp(self) -> tuple[Any, ...]:
        """A value that changes when anything is written: readers that cache runs compare it."""

    @abc.abstractmethod
    def changes_after(
        self, marks: tuple[int, int] | None
    ) -> tuple[tuple[Any, ...], list[str], list[str]]:
        """What run timestamps do not show, for the web app's change feed: ((the highest run
        number, the highest revision number, the number of runs) now, the paths of the runs
        numbered above marks[0] (created, or pushed, since), the paths of the runs given a
        revision numbered above marks[1] (edited through the Api, or pushed, since)). Without
        marks, only the first."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the store is not used afterwards."""

    # -- sync: this store's runs read for a push ... --------------------------------------
    @abc.abstractmethod
    def origin(self) -> str:
        """This store's random name: a server keeps apart what each store pushed."""

    @abc.abstractmethod
    def revisions_after(self, pk: int, after: int, limit: int) -> list[tuple[int, str, str]]:
        """(number, scope, entries as JSON text) of the run's revision batches numbered above
        `after`, oldest first, at most `limit`."""

    @abc.abstractmethod
    def chunks_after(
        self,
        pk: int,
        after: int,
        grown: dict[int, int],
        limit: int,
        keys: list[str] | None = None,
    ) -> list[EncodedChunk]:
        """Stored chunks as written, numbered above `after`, or in `grown` ({chunk: rows})
        and holding more rows than that now; oldest first; with `keys`, only their columns."""

    # -- ... and, on a server, the runs other stores pushed -------------------------------
    @abc.abstractmethod
    def push_cursor(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        """What `origin` has pushed of a run: the last revision batch, the highest chunk and
        the chunks that may still grow ({chunk: rows}); None when the run is not here."""

    @abc.abstractmethod
    def apply_push(
        self,
        origin: str,
        run: dict[str, Any],
        revisions: list[tuple[int, str, str]],
        chunks: list[EncodedChunk],
    ) -> dict[str, Any]:
        """Store a run pushed by another store, once however often the push is repeated:
        revision batches and chunks already taken from `origin` are skipped, a chunk that grew
        replaces its earlier form. Returns the new cursor (see push_cursor)."""

    @abc.abstractmethod
    def origin_digest(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        """Rows and checksum of the chunks `origin` pushed of a run, in its order."""
