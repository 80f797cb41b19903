"""The storage seam: everything runcard persists goes through a `Store`.

`Run` and `Config` hand batches to the background writer, which calls `write_batch`; the Api
reads and edits through the other methods. SQLite is the embedded default; PostgreSQL and HTTP
stores implement the same methods.
"""

from __future__ import annotations

from runcard._settings import is_postgres_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from runcard._config import Revision
    from runcard._history import EncodedChunk

    class Store(Protocol):
        path: str  # the database file, or the URL without its password
        exists: bool

        def create_run(self, fields: dict[str, Any], revisions: list[Revision]) -> int | None: ...
        def find_run(
            self, entity: str | None, project: str | None, run_id: str
        ) -> dict[str, Any] | None: ...
        def reopen_run(self, pk: int, heartbeat_interval: float, host: dict[str, Any]) -> None: ...
        def last_step(self, pk: int) -> int | None: ...
        def write_batch(self, pk: int, batch: Batch, heartbeat: bool = False) -> None: ...
        def finish_run(self, pk: int, state: str, exit_code: int | None) -> None: ...
        def query_runs(
            self,
            entity: str | None,
            project: str | None,
            filters: dict[str, Any] | None,
            order: str | None,
            limit: int | None = None,
            keys: list[str] | None = None,
        ) -> list[dict[str, Any]]: ...
        def projects(self) -> list[tuple[str, str, int]]: ...
        def revisions(self, pk: int, scope: str) -> list[dict[str, Any]]: ...
        def history(
            self, pk: int, keys: list[str] | None = None, times: bool = True
        ) -> list[tuple[list[int], list[float], dict[str, tuple[Any, list[Any]]]]]: ...
        def edit_run(
            self,
            pk: int,
            fields: dict[str, Any],
            revisions: list[Revision],
            summary_revisions: list[Revision],
        ) -> None: ...
        def delete_run(self, pk: int) -> None: ...
        def change_stamp(self) -> tuple[Any, ...]: ...
        def changes_after(
            self, marks: tuple[int, int] | None
        ) -> tuple[tuple[Any, ...], list[str], list[str]]: ...
        def close(self) -> None: ...

        # sync (see runcard._sync): this store's runs read for a push ...
        def origin(self) -> str: ...
        def revisions_after(
            self, pk: int, after: int, limit: int
        ) -> list[tuple[int, str, str]]: ...
        def chunks_after(
            self,
            pk: int,
            after: int,
            grown: dict[int, int],
            limit: int,
            keys: list[str] | None = None,
        ) -> list[EncodedChunk]: ...

        # ... and, on a server, the runs other stores pushed
        def push_cursor(
            self, origin: str, entity: str, project: str, run_id: str
        ) -> dict[str, Any] | None: ...
        def apply_push(
            self,
            origin: str,
            run: dict[str, Any],
            revisions: list[tuple[int, str, str]],
            chunks: list[EncodedChunk],
        ) -> dict[str, Any]: ...
        def origin_digest(
            self, origin: str, entity: str, project: str, run_id: str
        ) -> dict[str, Any] | None: ...


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
)


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


def open_store(root: str, create: bool = True) -> Store:
    """The store under directory `root` (SQLite), or at the PostgreSQL URL `root`. Readers pass
    create=False: a store that does not exist yet then reads as empty."""
    if is_postgres_url(root):
        from runcard._store._postgres import PostgresStore  # imports psycopg: only when used

        return PostgresStore(root, create=create)
    return SQLiteStore(root, create=create)


from runcard._store._sqlite import SQLiteStore  # noqa: E402  (it needs Batch above)
