"""The team store: runcard's tables in a PostgreSQL database, given as a postgresql:// URL.

It behaves as SQLiteStore does, method for method. One connection per store, autocommit off:
every method runs in one explicit transaction. Writers of one run queue on its row lock
(`SELECT ... FOR UPDATE`) where SQLite's queue on the database lock, so several processes
writing to one run number their history chunks apart. A connection the server dropped is opened
again on the next call, which lets the background writer's retries carry a run over a restart.
Errors name the store by its URL, with any password masked.

This module is the only one that imports psycopg, and it is imported only for such a URL.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import urllib.parse

import psycopg
import psycopg.errors

from runcard._config import key_path
from runcard._convert import dumps, loads
from runcard._errors import StoreError, UsageError
from runcard._history import (
    CHUNK_ROWS,
    EncodedChunk,
)
from runcard._settings import redacted
from runcard._store import PUSHED_FIELDS, _common, _fields, _query
from runcard._store._pg_query import POSTGRES, json_text, text
from runcard._store._pg_schema import MIGRATION_LOCK, MIGRATIONS, VERSION, VERSION_TABLE
from runcard._store._sqlite import _apply, _remove

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from runcard._config import Revision
    from runcard._store import Batch

# a chunk's steps and its columns, which a writer rewrites while the chunk is open, must be read
# from one snapshot: by default each statement of a transaction sees the latest commits
READ_ONE_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
RUN_FIELDS = (
    "pk, entity, project, run_id, name, group_name, job_type, tags::text AS tags, notes, mode,"
    " {state} AS state, exit_code, created_at, finished_at, heartbeat_at, heartbeat_interval"
)
DOCUMENTS = (
    ", config::text AS config, summary::text AS summary, descriptions::text AS descriptions,"
    " host::text AS host"
)
# an edited field's UPDATE, by column: the column names are _fields.EDITABLE's, never the input's
_EDIT_SQL = {
    c: f"UPDATE runs SET {c} = %s{'::jsonb' if c == 'tags' else ''} WHERE pk = %s"
    for c in _fields.EDITABLE.values()
}


class PostgresStore:
    def __init__(self, url: str, create: bool = True) -> None:
        self._url = url
        self.path = redacted(url)
        self.exists = False
        self._lock = threading.RLock()  # a connection runs one transaction at a time
        self._pid = os.getpid()
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
            return psycopg.connect(self._url, autocommit=False)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the runcard store at {self.path}: {self._masked(exc)}"
            ) from exc

    def _masked(self, exc: BaseException) -> str:
        message = str(exc).strip()
        password = urllib.parse.urlsplit(self._url).password
        return message.replace(password, "***") if password else message

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
    def _version_in(db: psycopg.Connection[Any]) -> int:
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
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            db = self._connection()
            try:
                with db.transaction():
                    yield db
            except psycopg.OperationalError as exc:
                raise StoreError(f"the runcard store at {self.path}: {self._masked(exc)}") from exc

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

    # -- writes ----------------------------------------------------------------------------
    def create_run(self, fields: dict[str, Any], revisions: list[Revision]) -> int | None:
        """As SQLiteStore.create_run: None when the run is already here."""
        config: dict[str, Any] = {}
        for revision in revisions:
            _apply(config, key_path(revision[0]), revision[1])
        try:
            return self._create_run(fields, revisions, config)
        except _Taken:
            return None

    def _create_run(
        self, fields: dict[str, Any], revisions: list[Revision], config: dict[str, Any]
    ) -> int:
        with self._transaction() as db:
            # the counter's row lock makes concurrent creations in a project take turns
            number = _one(
                db.execute(
                    "INSERT INTO run_counters VALUES (%s, 1) ON CONFLICT (project)"
                    " DO UPDATE SET runs = run_counters.runs + 1 RETURNING runs",
                    (text(fields["project"]),),
                )
            )
            if not fields.get("name"):
                fields["name"] = f"{fields.pop('name_stem')}-{number}"
            fields.pop("name_stem", None)
            now = fields["created_at"]
            cursor = db.execute(
                "INSERT INTO runs (entity, project, run_id, name, group_name, job_type, tags,"
                " notes, mode, state, created_at, heartbeat_at, heartbeat_interval, config,"
                " descriptions, host) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s,"
                " 'running', %s, %s, %s, %s::json, %s::json, %s::json)"
                " ON CONFLICT (entity, project, run_id) DO NOTHING RETURNING pk",
                (
                    text(fields["entity"]),
                    text(fields["project"]),
                    text(fields["run_id"]),
                    text(fields["name"]),
                    _text_or_none(fields.get("group")),
                    _text_or_none(fields.get("job_type")),
                    json_text(list(fields.get("tags") or [])),
                    _text_or_none(fields.get("notes")),
                    fields["mode"],
                    now,
                    now,
                    fields["heartbeat_interval"],
                    json_text(config),
                    json_text(fields.get("descriptions") or {}),
                    json_text(fields.get("host") or {}),
                ),
            )
            row = cursor.fetchone()
            if row is None:  # created meanwhile by another process: undo the counter too
                raise _Taken
            pk = int(row[0])
            self._insert_revisions(db, pk, "config", revisions)
        return pk

    def reopen_run(self, pk: int, heartbeat_interval: float, host: dict[str, Any]) -> None:
        with self._transaction() as db:
            found = db.execute(
                "SELECT host::text FROM runs WHERE pk = %s FOR UPDATE", (pk,)
            ).fetchone()
            merged = {**loads(found[0]), **host} if found else host
            db.execute(
                "UPDATE runs SET state = 'running', exit_code = NULL, finished_at = NULL,"
                " heartbeat_at = %s, heartbeat_interval = %s, host = %s::json WHERE pk = %s",
                (time.time(), heartbeat_interval, json_text(merged), pk),
            )

    def write_batch(self, pk: int, batch: Batch, heartbeat: bool = False) -> None:
        if not (
            batch.revisions
            or batch.history
            or batch.summary
            or batch.descriptions
            or batch.host
            or batch.final
            or heartbeat
        ):
            return
        # chunks numbered here lose their number if the transaction fails: another writer may
        # take it meanwhile, and a retry with it would overwrite that writer's chunk
        numbered: list[EncodedChunk] = []
        try:
            with self._transaction() as db:
                # the run's writers (one per process) take turns from here to the commit
                db.execute("SELECT 1 FROM runs WHERE pk = %s FOR UPDATE", (pk,))
                if batch.revisions:
                    self._apply_revisions(db, pk, "config", batch.revisions)
                for column, values in (
                    ("summary", batch.summary),
                    ("descriptions", batch.descriptions),
                    ("host", batch.host),
                ):
                    if values:
                        self._merge_json(db, pk, column, values)
                for chunk in batch.history:
                    if chunk.index is None:
                        chunk.index = _one(
                            db.execute(
                                "SELECT coalesce(max(chunk) + 1, 0) FROM history_chunks"
                                " WHERE run_pk = %s",
                                (pk,),
                            )
                        )
                        numbered.append(chunk)
                    self._write_chunk(db, pk, chunk)
                if batch.final:
                    self._finish(db, pk, *batch.final)
                else:
                    db.execute("UPDATE runs SET heartbeat_at = %s WHERE pk = %s", (time.time(), pk))
        except BaseException:
            for chunk in numbered:
                chunk.index = None
            raise

    @staticmethod
    def _write_chunk(db: psycopg.Connection[Any], pk: int, chunk: EncodedChunk) -> None:
        db.execute(
            "INSERT INTO history_chunks (run_pk, chunk, rows, min_step, max_step, steps, times)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_pk, chunk) DO UPDATE SET"
            " rows = EXCLUDED.rows, min_step = EXCLUDED.min_step, max_step = EXCLUDED.max_step,"
            " steps = EXCLUDED.steps, times = EXCLUDED.times",
            (pk, chunk.index, chunk.rows, chunk.min_step, chunk.max_step, chunk.steps, chunk.times),
        )
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO history_columns (run_pk, key, chunk, kind, positions, data)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (run_pk, key, chunk) DO UPDATE SET"
                " kind = EXCLUDED.kind, positions = EXCLUDED.positions, data = EXCLUDED.data",
                [(pk, text(key), chunk.index, *column) for key, *column in chunk.columns],
            )

    def finish_run(self, pk: int, state: str, exit_code: int | None) -> None:
        with self._transaction() as db:
            self._finish(db, pk, state, exit_code)

    @staticmethod
    def _finish(db: psycopg.Connection[Any], pk: int, state: str, exit_code: int | None) -> None:
        now = time.time()
        db.execute(
            "UPDATE runs SET state = %s, exit_code = %s, finished_at = %s, heartbeat_at = %s"
            " WHERE pk = %s",
            (state, exit_code, now, now, pk),
        )

    def edit_run(
        self,
        pk: int,
        fields: dict[str, Any],
        revisions: list[Revision],
        summary_revisions: list[Revision],
    ) -> None:
        """Edits made through the Api: run fields, config and summary, each recorded as a
        revision."""
        edits = _fields.check_edit(fields)
        with self._transaction() as db:
            if revisions:
                self._apply_revisions(db, pk, "config", revisions)
            if summary_revisions:
                self._apply_revisions(db, pk, "summary", summary_revisions)
            now = time.time()
            for field, column, value in edits:
                stored = json_text(list(value)) if column == "tags" else _text_or_none(value)
                db.execute(_EDIT_SQL[column], (stored, pk))
                self._insert_revisions(db, pk, "run", [(field, value, "api", None, None, now)])

    def delete_run(self, pk: int) -> None:
        with self._transaction() as db:
            # the run's row first, as its writers lock it: then neither waits on the other
            db.execute("SELECT 1 FROM runs WHERE pk = %s FOR UPDATE", (pk,))
            tables = (
                "history_chunks",
                "history_columns",
                "revisions",
                "pushed_chunks",
                "pushed_revisions",
            )
            for table in tables:
                db.execute(f"DELETE FROM {table} WHERE run_pk = %s", (pk,))
            db.execute("DELETE FROM runs WHERE pk = %s", (pk,))

    # -- sync: this store's runs read for a push, and runs pushed into this store ----------
    def origin(self) -> str:
        """This store's random name: a server keeps apart what each store pushed."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'origin'").fetchone()
        return str(row[0]) if row else ""

    def revisions_after(self, pk: int, after: int, limit: int) -> list[tuple[int, str, str]]:
        """As SQLiteStore.revisions_after."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT pk, scope, entries FROM revisions WHERE run_pk = %s AND pk > %s"
                " ORDER BY pk LIMIT %s",
                (pk, after, limit),
            ).fetchall()
        return [(int(number), scope, entries) for number, scope, entries in rows]

    def chunks_after(
        self,
        pk: int,
        after: int,
        grown: dict[int, int],
        limit: int,
        keys: list[str] | None = None,
    ) -> list[EncodedChunk]:
        """As SQLiteStore.chunks_after."""
        with self._transaction() as db:
            db.execute(READ_ONE_SNAPSHOT)
            candidates = db.execute(
                "SELECT chunk, rows, min_step, max_step, steps, times FROM history_chunks"
                " WHERE run_pk = %s AND (chunk > %s OR chunk = ANY(%s)) ORDER BY chunk LIMIT %s",
                (pk, after, list(grown), limit + len(grown)),
            ).fetchall()
            wanted = _common.chunks_to_send(candidates, after, grown, limit)
            if not wanted:
                return []
            numbers = [row[0] for row in wanted]
            query = (
                "SELECT key, chunk, kind, positions, data FROM history_columns"
                " WHERE run_pk = %s AND chunk = ANY(%s)"
            )
            params: list[Any] = [pk, numbers]
            if keys is not None:
                query += " AND key = ANY(%s)"
                params.append([text(key) for key in keys])
            column_rows = db.execute(query, params).fetchall()
        columns: dict[int, list[tuple[str, str, bytes | None, bytes]]] = {n: [] for n in numbers}
        for key, chunk, kind, positions, data in column_rows:
            columns[chunk].append((key, kind, _bytes(positions), bytes(data)))
        return [
            EncodedChunk(number, rows, low, high, bytes(steps), bytes(times), columns[number])
            for number, rows, low, high, steps, times in wanted
        ]

    def push_cursor(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        """As SQLiteStore.push_cursor."""
        with self._transaction() as db:
            pk = _run_pk(db, entity, project, run_id)
            return None if pk is None else _cursor(db, pk, origin)

    def apply_push(
        self,
        origin: str,
        run: dict[str, Any],
        revisions: list[tuple[int, str, str]],
        chunks: list[EncodedChunk],
    ) -> dict[str, Any]:
        """As SQLiteStore.apply_push: a push repeated is stored once."""
        _fields.check_pushed(run)
        with self._transaction() as db:
            pk = _pushed_run(db, run)  # holds the run's row lock to the commit
            cursor = _cursor(db, pk, origin)
            for number, scope, entries in revisions:
                if number <= cursor["revisions"]:
                    continue
                parsed = [tuple(entry) for entry in loads(entries)]
                if scope in ("config", "summary"):
                    self._apply_revisions(db, pk, scope, parsed)
                else:
                    self._insert_revisions(db, pk, scope, parsed)
                cursor["revisions"] = number
            db.execute(
                "INSERT INTO pushed_revisions VALUES (%s, %s, %s) ON CONFLICT (run_pk, origin)"
                " DO UPDATE SET last = EXCLUDED.last",
                (pk, origin, cursor["revisions"]),
            )
            for chunk in chunks:
                self._apply_pushed_chunk(db, pk, origin, chunk)
            return _cursor(db, pk, origin)

    def _apply_pushed_chunk(
        self, db: psycopg.Connection[Any], pk: int, origin: str, chunk: EncodedChunk
    ) -> None:
        """Store a chunk pushed as `origin`'s chunk number chunk.index, once (again with as
        many rows: its last row may have got values, see runcard._open_row)."""
        origin_chunk = chunk.index
        known = db.execute(
            "SELECT chunk, rows FROM pushed_chunks"
            " WHERE run_pk = %s AND origin = %s AND origin_chunk = %s",
            (pk, origin, origin_chunk),
        ).fetchone()
        if known is not None and known[1] > chunk.rows:
            return
        if known is None:
            chunk.index = _one(
                db.execute(
                    "SELECT coalesce(max(chunk) + 1, 0) FROM history_chunks WHERE run_pk = %s",
                    (pk,),
                )
            )
        else:
            chunk.index = known[0]
        self._write_chunk(db, pk, chunk)
        db.execute(
            "INSERT INTO pushed_chunks VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (run_pk, origin, origin_chunk)"
            " DO UPDATE SET chunk = EXCLUDED.chunk, rows = EXCLUDED.rows",
            (pk, origin, origin_chunk, chunk.index, chunk.rows),
        )

    def origin_digest(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        """As SQLiteStore.origin_digest."""
        with self._transaction() as db:
            pk = _run_pk(db, entity, project, run_id)
            if pk is None:
                return None
            numbers = [
                row[0]
                for row in db.execute(
                    "SELECT chunk FROM pushed_chunks WHERE run_pk = %s AND origin = %s"
                    " ORDER BY origin_chunk",
                    (pk, origin),
                )
            ]
        return _common.digest(self.chunks_after(pk, number - 1, {}, 1)[0] for number in numbers)

    def _apply_revisions(
        self, db: psycopg.Connection[Any], pk: int, scope: str, revisions: list[Revision]
    ) -> None:
        row = db.execute(
            f"SELECT {scope}::text FROM runs WHERE pk = %s FOR UPDATE", (pk,)
        ).fetchone()
        if row is None:
            raise StoreError(f"run {pk} is not in the store (was it deleted?)")
        document = loads(row[0])
        for key, value, _source, detail, _step, _time in revisions:
            if detail == "removed":
                _remove(document, key_path(key))
            else:
                _apply(document, key_path(key), value)
        db.execute(f"UPDATE runs SET {scope} = %s::json WHERE pk = %s", (json_text(document), pk))
        self._insert_revisions(db, pk, scope, revisions)

    @staticmethod
    def _merge_json(
        db: psycopg.Connection[Any], pk: int, column: str, values: dict[str, Any]
    ) -> None:
        row = db.execute(
            f"SELECT {column}::text FROM runs WHERE pk = %s FOR UPDATE", (pk,)
        ).fetchone()
        if row is None:
            raise StoreError(f"run {pk} is not in the store (was it deleted?)")
        merged = {**loads(row[0]), **values}
        db.execute(f"UPDATE runs SET {column} = %s::json WHERE pk = %s", (json_text(merged), pk))

    @staticmethod
    def _insert_revisions(
        db: psycopg.Connection[Any], pk: int, scope: str, revisions: list[Revision]
    ) -> None:
        """One row per batch: a JSON list of [key, value, source, detail, step, time]."""
        db.execute(
            "INSERT INTO revisions (run_pk, scope, entries) VALUES (%s, %s, %s)",
            (pk, scope, dumps(revisions)),
        )

    # -- reads -----------------------------------------------------------------------------
    def find_run(
        self, entity: str | None, project: str | None, run_id: str
    ) -> dict[str, Any] | None:
        return None if self._db is None else _common.find_run(self, entity, project, run_id)

    def query_runs(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str | None,
        limit: int | None = None,
        keys: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Runs as dicts of their fields, as SQLiteStore.query_runs gives them."""
        if self._db is None:
            return []
        now = time.time()
        combined = _common.scoped(entity, project, filters)
        where, where_params = _query.where_sql(combined, now, POSTGRES)
        order_by, order_params = _query.order_sql(order, now, POSTGRES)
        columns, column_params, picks = _columns(keys, now)
        sql = f"SELECT {columns} FROM runs WHERE {where} ORDER BY {order_by}"
        params = [*column_params, *where_params, *order_params]
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        try:
            with self._transaction() as db:
                cursor = db.execute(sql, params)
                names = [column.name for column in cursor.description or ()]
                rows = cursor.fetchall()
        except psycopg.errors.InvalidRegularExpression as exc:
            raise UsageError(
                f"a $regex in the filters is not a regular expression PostgreSQL reads: {exc}"
            ) from exc
        fixed = len(names) - 2 * len(picks)
        return [
            _run_dict(dict(zip(names[:fixed], row[:fixed], strict=True)), row[fixed:], picks)
            for row in rows
        ]

    def projects(self) -> list[tuple[str, str, int]]:
        if self._db is None:
            return []
        with self._transaction() as db:
            rows = db.execute(
                "SELECT entity, project, count(*) FROM runs GROUP BY entity, project"
                " ORDER BY project, entity"
            ).fetchall()
        return [(entity, project, count) for entity, project, count in rows]

    def changes_after(
        self, marks: tuple[int, int] | None
    ) -> tuple[tuple[Any, ...], list[str], list[str]]:
        """What run timestamps do not show, for the web app's change feed: ((the highest run
        number, the highest revision number, the number of runs) now, the paths of the runs
        numbered above marks[0] (created, or pushed, since), the paths of the runs given a
        revision numbered above marks[1] (edited through the Api, or pushed, since)). Without
        marks, only the first."""
        if self._db is None:
            return (0, 0, 0), [], []
        with self._transaction() as db:
            top = db.execute(_common.FEED_TOP_SQL).fetchone() or (0, 0, 0)
            if marks is None:
                return top, [], []
            new = db.execute(_common.FEED_NEW_SQL, (marks[0], top[0])).fetchall()
            revised = db.execute(_common.FEED_REVISED_SQL, (marks[1], top[1])).fetchall()
        return top, [p for (p,) in new], [p for (p,) in revised]

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

    def revisions(self, pk: int, scope: str) -> list[dict[str, Any]]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT entries FROM revisions WHERE run_pk = %s AND scope = %s ORDER BY pk",
                (pk, scope),
            ).fetchall()
        return _common.revision_dicts(entries for (entries,) in rows)

    def history(
        self, pk: int, keys: list[str] | None = None, times: bool = True
    ) -> list[tuple[list[int], list[float], dict[str, tuple[list[int] | range, list[Any]]]]]:
        """The run's history, chunk by chunk, as SQLiteStore.history gives it."""
        query = "SELECT key, chunk, kind, positions, data FROM history_columns WHERE run_pk = %s"
        params: list[Any] = [pk]
        if keys is not None:
            query += " AND key = ANY(%s)"
            params.append([text(key) for key in keys])
        with self._transaction() as db:
            db.execute(READ_ONE_SNAPSHOT)
            chunk_rows = db.execute(
                "SELECT chunk, rows, steps, times FROM history_chunks WHERE run_pk = %s"
                " ORDER BY chunk",
                (pk,),
            ).fetchall()
            column_rows = db.execute(query, params).fetchall()
        return _common.decode_history(chunk_rows, column_rows, times)

    def last_step(self, pk: int) -> int | None:
        """The highest step logged to a run, to resume it."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT max(max_step) FROM history_chunks WHERE run_pk = %s", (pk,)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])


class _Taken(Exception):
    """The run to create is already there: its transaction is rolled back."""


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _run_pk(db: psycopg.Connection[Any], entity: str, project: str, run_id: str) -> int | None:
    row = db.execute(
        "SELECT pk FROM runs WHERE entity = %s AND project = %s AND run_id = %s",
        (text(entity), text(project), text(run_id)),
    ).fetchone()
    return None if row is None else int(row[0])


def _pushed_run(db: psycopg.Connection[Any], run: dict[str, Any]) -> int:
    """As SQLite's: the pushed run created, or brought up to date, and locked."""
    key = (text(run["entity"]), text(run["project"]), text(run["run_id"]))
    values = [
        json_text(run[f]) if f == "tags" else text(run[f]) if isinstance(run[f], str) else run[f]
        for f in PUSHED_FIELDS
    ]
    documents = [json_text(run[name]) for name in ("summary", "descriptions", "host")]
    placeholders = ", ".join("%s::jsonb" if f == "tags" else "%s" for f in PUSHED_FIELDS)
    # insert or lock: concurrent first pushes of one run meet on the unique key
    db.execute(
        f"INSERT INTO runs (entity, project, run_id, {', '.join(PUSHED_FIELDS)}, summary,"
        f" descriptions, host) VALUES (%s, %s, %s, {placeholders}, %s::json, %s::json, %s::json)"
        " ON CONFLICT (entity, project, run_id) DO NOTHING",
        (*key, *values, *documents),
    )
    row = db.execute(
        "SELECT pk, summary::text, descriptions::text, host::text FROM runs"
        " WHERE entity = %s AND project = %s AND run_id = %s FOR UPDATE",
        key,
    ).fetchone()
    pk, *stored = row  # type: ignore[misc]
    merged = [
        json_text({**loads(old), **run[name]})
        for name, old in zip(("summary", "descriptions", "host"), stored, strict=True)
    ]
    assignments = ", ".join(
        f"{f} = %s::jsonb" if f == "tags" else f"{f} = %s" for f in PUSHED_FIELDS
    )
    db.execute(
        f"UPDATE runs SET {assignments}, summary = %s::json, descriptions = %s::json,"
        " host = %s::json WHERE pk = %s",
        (*values, *merged, pk),
    )
    return int(pk)


def _cursor(db: psycopg.Connection[Any], pk: int, origin: str) -> dict[str, Any]:
    last = db.execute(
        "SELECT last FROM pushed_revisions WHERE run_pk = %s AND origin = %s", (pk, origin)
    ).fetchone()
    top = db.execute(
        "SELECT max(origin_chunk) FROM pushed_chunks WHERE run_pk = %s AND origin = %s",
        (pk, origin),
    ).fetchone()
    partial = db.execute(
        "SELECT origin_chunk, rows FROM pushed_chunks"
        " WHERE run_pk = %s AND origin = %s AND rows < %s",
        (pk, origin, CHUNK_ROWS),
    ).fetchall()
    return {
        "revisions": int(last[0]) if last else 0,
        "chunk": -1 if top is None or top[0] is None else int(top[0]),
        "grown": {int(number): int(rows) for number, rows in partial},
    }


def _columns(
    keys: list[str] | None, now: float
) -> tuple[str, list[Any], list[tuple[str, list[str]]]]:
    """SELECT columns, their params, and the (document, key path) of each projected key: the
    run fields, then the documents (all four; with `keys`, the whole ones asked for), then a
    JSON type and value per projected key."""
    state, params = POSTGRES.state(now)
    fields = RUN_FIELDS.format(state=state)
    if keys is None:
        return fields + DOCUMENTS, params, []
    wholes: list[str] = []
    projections: list[str] = []
    picks: list[tuple[str, list[str]]] = []
    _query.check_keys(keys)
    for key in keys:
        head, _, rest = key.partition(".")
        if not rest:
            wholes.append(f"{head}::text AS {head}_whole")
            continue
        sql, sql_params = _query.projection_sql(head, rest, POSTGRES)
        projections.append(sql)
        params.extend(sql_params)
        picks.append((head, rest.split(".")))
    return ", ".join([fields, *wholes, *projections]), params, picks


def _run_dict(
    row: dict[str, Any], projected: tuple[Any, ...], picks: list[tuple[str, list[str]]]
) -> dict[str, Any]:
    row["tags"] = _common.stored_tags(row["tags"])
    for document in ("config", "summary"):  # whole documents of a projection
        if f"{document}_whole" in row:
            row[document] = loads(row.pop(f"{document}_whole"))
    if "host" in row:
        return row
    config, summary = row.setdefault("config", {}), row.setdefault("summary", {})
    row["descriptions"] = row["host"] = {}
    for index, (document, path) in enumerate(picks):
        kind, value = projected[2 * index], projected[2 * index + 1]
        if kind is not None:  # NULL: the run lacks the key
            _apply(config if document == "config" else summary, path, loads(value))
    return row


def _one(cursor: psycopg.Cursor[Any]) -> int:
    row = cursor.fetchone()
    if row is None:
        raise StoreError("the database returned no row where one was expected")
    return int(row[0])


def _text_or_none(value: Any) -> Any:
    return text(value) if isinstance(value, str) else value
