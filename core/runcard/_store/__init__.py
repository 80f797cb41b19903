"""The storage seam: everything runcard persists goes through a `Store`.

`Run` and `Config` hand batches to the background writer, which calls `write_batch`; the Api
reads and edits through the other methods. SQLite is the embedded default; PostgreSQL and HTTP
stores implement the same methods.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from runcard._config import Revision
    from runcard._history import EncodedChunk

    class Store(Protocol):
        path: str

        def create_run(self, fields: dict[str, Any], revisions: list[Revision]) -> int: ...
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
        def close(self) -> None: ...


class Batch:
    """What the writer stores in one transaction."""

    __slots__ = ("descriptions", "history", "host", "revisions", "summary")

    def __init__(self) -> None:
        self.revisions: list[Revision] = []
        self.history: list[EncodedChunk] = []
        self.summary: dict[str, Any] = {}
        self.descriptions: dict[str, str] = {}
        self.host: dict[str, Any] = {}


def open_store(root: str, create: bool = True) -> Store:
    """The store under directory `root` (SQLite). Readers pass create=False: a store that does
    not exist yet then reads as empty."""
    return SQLiteStore(root, create=create)


from runcard._store._sqlite import SQLiteStore  # noqa: E402  (it needs Batch above)
