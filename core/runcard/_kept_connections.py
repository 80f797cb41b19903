"""Idle database connections kept between a process's runs, one per store path.

A finished run's SQLite store leaves its connection here, and the process's next run on that
store takes it back: that run skips connecting and setting up, and SQLite neither checkpoints
nor deletes the WAL between runs. The store keeps and takes connections; the process state
(`runcard._process`) closes them at exit and forgets them in a forked child. The registry sits
below both, so the store never reaches into process state.
"""

from __future__ import annotations

import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class KeptConnections:
    """Connections by store path, each with the identity of the file it was opened on (the
    caller checks it still names the same file), least recently used first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[Any, Any]] = {}

    def keep(self, path: str, connection: Any, file: Any, limit: int) -> list[Any]:
        """Keep `connection` for `path`, as the most recently used, and at most `limit` in all;
        return the connections this displaced, for the caller to close outside the lock."""
        with self._lock:
            spare = self._kept.pop(path, None)
            self._kept[path] = (connection, file)
            displaced = [spare[0]] if spare is not None else []
            while len(self._kept) > limit:
                displaced.append(self._kept.pop(next(iter(self._kept)))[0])
        return displaced

    def take(self, path: str) -> tuple[Any, Any] | None:
        """The connection kept for `path` and its file's identity, now no longer kept."""
        with self._lock:
            return self._kept.pop(path, None)

    def close_all(self) -> None:
        """Close every kept connection (at exit: the last close checkpoints the WAL into the
        database)."""
        while self._kept:
            with self._lock:
                if not self._kept:
                    return
                connection = self._kept.popitem()[1][0]
            connection.close()

    def forget(self) -> None:
        """In a forked child: the parent's connections are never used here (nor closed), and
        another thread may have held the lock at the fork."""
        self._kept = {}
        self._lock = threading.Lock()


kept_connections = KeptConnections()
