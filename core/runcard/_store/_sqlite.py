"""The embedded store: one SQLite database in WAL mode, safe for many processes at once.

The one SQL store (`_sql`) over SQLite's dialect and connection: one connection per store,
shared by threads (the web app) under a lock, and writers that take turns on the database
lock (BEGIN IMMEDIATE). A finished run's connection is kept, idle, for the process's next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time

from runcard._convert import loads
from runcard._errors import StoreError
from runcard._kept_connections import kept_connections
from runcard._store import _query
from runcard._store._guard import DAMAGE, guarded, store_error
from runcard._store._regex import FLAGS
from runcard._store._schema import MIGRATIONS, VERSION
from runcard._store._sql import SQLStore
from runcard._store._sql_read import values_sql

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

BUSY_TIMEOUT_SECONDS = 60.0


def _regexp(pattern: str, value: Any) -> bool:
    return value is not None and re.search(pattern, str(value), FLAGS) is not None


@guarded  # sqlite3 errors raised by its methods become StoreErrors naming the file
class SQLiteStore(SQLStore):
    _filters = _query.SQLITE
    _decoded_kinds = frozenset(("object", "array", "true", "false"))  # the others come native
    FAILURES = DAMAGE

    def __init__(self, root: str, create: bool = True) -> None:
        self.path = os.path.join(root, "runcard.db")
        self.exists = os.path.exists(self.path)
        # one transaction at a time on the connection: threads may share a store (the web app)
        self._lock = threading.RLock()
        # per run: the summary as this store last wrote it (JSON text, and decoded)
        self._summaries: dict[int, tuple[str, dict[str, Any]]] = {}
        self._keep_on_close = create  # a run's store: see _keep()
        self._db: sqlite3.Connection | None = _take_kept(self.path) if create else None
        if self._db is None and not self.exists and not create:
            return
        try:
            if self._db is None:
                os.makedirs(root, exist_ok=True)
                self._db = sqlite3.connect(
                    self.path,
                    timeout=BUSY_TIMEOUT_SECONDS,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.create_function("REGEXP", 2, _regexp, deterministic=True)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the runcard store at {self.path}: {exc}") from exc
        self.exists = True

    def _failure(self, exc: BaseException) -> Exception:
        return store_error(self.path, exc)

    # -- schema ----------------------------------------------------------------------------
    def _migrate(self) -> None:
        db = self._connection()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version >= VERSION:
            return
        if version == 0:
            _retry_locked(lambda: db.execute("PRAGMA journal_mode=WAL"))
        with _transaction(db, self._lock):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    try:
                        db.execute(statement)
                    except sqlite3.OperationalError as exc:
                        # ADD COLUMN has no IF NOT EXISTS: a column already there is done
                        if "duplicate column" not in str(exc):
                            raise
            db.execute(f"PRAGMA user_version={VERSION}")

    # -- connection ------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"the runcard store {self.path} does not exist")
        return self._db

    def _writing(self) -> _transaction:
        return _transaction(self._connection(), self._lock)

    def _reading(self) -> contextlib.nullcontext[sqlite3.Connection]:
        return contextlib.nullcontext(self._connection())

    def _snapshot(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return _snapshot(self._connection(), self._lock)

    def close(self) -> None:
        db, self._db = self._db, None
        if db is None:
            return
        if self._keep_on_close and not db.in_transaction:
            _keep(self.path, db)
        else:
            db.close()

    def change_stamp(self) -> tuple[Any, ...]:
        """A value that changes when anything is written to the store (its files' sizes and
        times): readers that cache runs compare it."""
        stamp: list[Any] = []
        for path in (self.path, self.path + "-wal"):
            try:
                st = os.stat(path)
                stamp.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    # -- dialect ---------------------------------------------------------------------------
    @staticmethod
    def _upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...], rows: int = 1) -> str:
        return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)})" + values_sql(
            len(columns), rows
        )

    @staticmethod
    def _projected(kind: str, value: Any) -> Any:
        """A value read with json_type / json_extract back in its Python form."""
        if kind in ("object", "array"):
            return loads(value)
        return kind == "true"  # true, false: integer, real, text come native; null as None


KEPT_STORES = 4


def _keep(path: str, db: sqlite3.Connection) -> None:
    """Keep a finished run's connection, idle, for the process's next run on this store (for the
    last few stores): that run skips opening and setting up a connection, and since this one
    stays open, SQLite neither checkpoints nor deletes the WAL between runs."""
    try:
        file = _file_id(path)
    except OSError:  # the store was deleted
        db.close()
        return
    for old in kept_connections.keep(path, db, file, KEPT_STORES):
        old.close()


def _take_kept(path: str) -> sqlite3.Connection | None:
    """The connection `_keep` kept for this store, unless the file was since deleted or replaced
    (the connection would write to the old one)."""
    kept = kept_connections.take(path)
    if kept is None:
        return None
    db, file = kept
    try:
        if _file_id(path) == file:
            return db
    except OSError:
        pass
    db.close()
    return None


def _file_id(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT: writers queue on the lock instead of failing mid-way."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            _retry_locked(lambda: self.db.execute("BEGIN IMMEDIATE"))
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        try:
            if kind is None:
                try:
                    self.db.execute("COMMIT")
                    return
                except sqlite3.Error:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        finally:
            self.lock.release()


@contextlib.contextmanager
def _snapshot(db: sqlite3.Connection, lock: threading.RLock) -> Iterator[sqlite3.Connection]:
    """Reads that must agree with each other: one read transaction, one snapshot."""
    with lock:
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")


def _retry_locked(action: Any, attempts: int = 50) -> Any:
    """SQLite's busy handler covers most waits; a few lock upgrades fail at once instead."""
    delay = 0.005
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    return None
