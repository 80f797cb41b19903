"""The team store: runcard's tables in a PostgreSQL database, given as a postgresql:// URL.

The one SQL store (`_sql`) over PostgreSQL's dialect and connection: one connection per store,
autocommit off, every method in one explicit transaction. Writers of one run queue on its row
lock (`SELECT ... FOR UPDATE`, or the UPDATE of the run) where SQLite's queue on the database
lock. A connection the server dropped is opened again on the next call, which lets the
background writer's retries carry a run over a restart. Errors name the store by its URL, with
any password masked. Text that PostgreSQL cannot hold (NUL) is stored escaped (`_pg_query`).

This module is the only one that imports psycopg, and it is imported only for such a URL.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import urllib.parse

import psycopg
import psycopg.errors
from psycopg.types.string import TextLoader

from runcard._convert import loads
from runcard._errors import StoreError, UsageError
from runcard._settings import redacted
from runcard._store._guard import guarded
from runcard._store._pg_query import POSTGRES, json_text, read_json_text, read_text, text
from runcard._store._pg_schema import MIGRATION_LOCK, MIGRATIONS, VERSION, VERSION_TABLE
from runcard._store._sql import SQLStore
from runcard._store._sql_read import values_sql

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

# a chunk's steps and its columns, which a writer rewrites while the chunk is open, must be read
# from one snapshot: by default each statement of a transaction sees the latest commits
READ_ONE_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
# the run fields stored as text, and those stored as JSON text (see _read_text)
_TEXT_FIELDS = frozenset(("entity", "project", "run_id", "name", "group_name", "job_type", "notes"))
_JSON_FIELDS = frozenset(
    ("tags", "config", "summary", "descriptions", "host", "config_whole", "summary_whole")
)


@guarded  # psycopg errors raised by its methods become StoreErrors naming the URL
class PostgresStore(SQLStore):
    _filters = POSTGRES
    _for_update = " FOR UPDATE"
    _summary_is = "summary::text = ?"  # json has no equality; its text is the text written
    _decoded_kinds = frozenset(("object", "array", "string", "number", "boolean", "null"))
    _encodes_text = True
    FAILURES = (psycopg.Error,)

    def __init__(self, url: str, create: bool = True) -> None:
        self._url = url
        self.path = redacted(url)
        self.exists = False
        self._lock = threading.RLock()  # a connection runs one transaction at a time
        self._pid = os.getpid()
        self._summaries: dict[int, tuple[str, dict[str, Any]]] = {}
        self._db: psycopg.Connection[Any] | None = self._connect()
        try:
            self.exists = self._migrate(create)
        except psycopg.Error as exc:
            self.close()
            raise StoreError(
                f"cannot set up the runcard store at {self.path}: {self._masked(exc)}"
            ) from exc
        if not self.exists:  # nothing to read: hold no connection
            self.close()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            db = psycopg.connect(self._url, autocommit=False)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the runcard store at {self.path}: {self._masked(exc)}"
            ) from exc
        for json_type in ("json", "jsonb"):  # read back as the JSON text SQLite gives
            db.adapters.register_loader(json_type, TextLoader)
        return db

    def _masked(self, exc: BaseException) -> str:
        message = str(exc).strip()
        password = urllib.parse.urlsplit(self._url).password
        return message.replace(password, "***") if password else message

    def _failure(self, exc: BaseException) -> Exception:
        if isinstance(exc, psycopg.errors.InvalidRegularExpression):
            return UsageError(
                f"a $regex in the filters is not a regular expression PostgreSQL reads: {exc}"
            )
        return StoreError(f"the runcard store at {self.path}: {self._masked(exc)}")

    def __del__(self) -> None:
        # The Api never closes the stores it reads (SQLite's connections close quietly when
        # collected; psycopg warns). A forked child must not close its parent's connection.
        if getattr(self, "_db", None) is not None and os.getpid() == self._pid:
            self.close()

    # -- schema ----------------------------------------------------------------------------
    def _migrate(self, create: bool) -> bool:
        """Bring the schema up to date; False when it does not exist and create is False."""
        version = self._version()
        if version >= VERSION:
            return True
        if version == 0 and not create:
            return False
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            version = self._version_in(db)
            if version == 0:
                db.execute(VERSION_TABLE)
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    db.execute(statement)
                db.execute("INSERT INTO runcard_schema (version) VALUES (%s)", (number,))
        return True

    def _version(self) -> int:
        with self._transaction() as db:
            return self._version_in(db)

    @staticmethod
    def _version_in(db: _Connection) -> int:
        # pg_tables, not to_regclass: a lookup by name may miss a table committed while this
        # transaction waited for the migration lock
        found = db.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables"
            " WHERE schemaname = current_schema() AND tablename = 'runcard_schema')"
        ).fetchone()
        if not (found and found[0]):
            return 0
        row = db.execute("SELECT coalesce(max(version), 0) FROM runcard_schema").fetchone()
        return int(row[0]) if row else 0

    # -- connection ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self) -> Iterator[_Connection]:
        with self._lock:
            db = self._connection()
            with db.transaction():
                yield _Connection(db)

    _writing = _reading = _transaction

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[_Connection]:
        with self._transaction() as db:
            db.execute(READ_ONE_SNAPSHOT)
            yield db

    def _connection(self) -> psycopg.Connection[Any]:
        if self._db is None:
            raise StoreError(f"the runcard store {self.path} does not exist")
        if self._db.broken:  # the server went away: try a new connection
            self._db = self._connect()
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def change_stamp(self) -> tuple[Any, ...]:
        """A value that changes when runs are created, written, finished or edited: readers
        that cache runs compare it."""
        if self._db is None:
            return ()
        with self._transaction() as db:
            row = db.execute(
                "SELECT (SELECT count(*) FROM runs), (SELECT max(heartbeat_at) FROM runs),"
                " (SELECT max(pk) FROM revisions)"
            ).fetchone()
        return tuple(row or ())

    # -- dialect ---------------------------------------------------------------------------
    @staticmethod
    def _upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...], rows: int = 1) -> str:
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        return (
            f"INSERT INTO {table} ({', '.join(columns)})"
            + values_sql(len(columns), rows)
            + f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )

    @staticmethod
    def _text(value: Any) -> Any:
        return text(value) if isinstance(value, str) else value

    @staticmethod
    def _json(value: Any) -> str:
        return json_text(value)

    @staticmethod
    def _projected(kind: str, value: Any) -> Any:
        return loads(read_json_text(value))

    def _read_text(self, row: dict[str, Any]) -> None:
        for name, value in row.items():
            if isinstance(value, str) and "\uffff" in value:
                row[name] = read_json_text(value) if name in _JSON_FIELDS else read_text(value)


class _Connection:
    """A psycopg connection that takes the SQL store's `?` placeholders."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Any = None) -> psycopg.Cursor[Any]:
        return self.raw.execute(_placeholders(sql), params)


@functools.lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    return sql.replace("?", "%s")  # runcard's SQL has no other `?`: values are all bound
