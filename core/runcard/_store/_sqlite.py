"""The embedded store: one SQLite database in WAL mode, safe for many processes at once."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sqlite3
import threading
import time

from runcard._config import key_path
from runcard._convert import dumps, loads
from runcard._errors import StoreError
from runcard._history import (
    CHUNK_ROWS,
    EncodedChunk,
)
from runcard._kept_connections import kept_connections
from runcard._store import PUSHED_FIELDS, _common, _fields, _query
from runcard._store._guard import guarded
from runcard._store._schema import MIGRATIONS, VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from runcard._config import Revision
    from runcard._store import Batch

BUSY_TIMEOUT_SECONDS = 60.0
RUN_COLUMNS = (
    "pk, entity, project, run_id, name, group_name, job_type, tags, notes, mode, {state} AS state,"
    " exit_code, created_at, finished_at, heartbeat_at, heartbeat_interval, config, summary,"
    " descriptions, host"
)
# an edited field's UPDATE, by column: the column names are _fields.EDITABLE's, never the input's
_EDIT_SQL = {c: f"UPDATE runs SET {c} = ? WHERE pk = ?" for c in _fields.EDITABLE.values()}


def _regexp(pattern: str, value: Any) -> bool:
    return value is not None and re.search(pattern, str(value)) is not None


@guarded  # sqlite3 errors raised by its methods become StoreErrors naming the file
class SQLiteStore:
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
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={VERSION}")

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"the runcard store {self.path} does not exist")
        return self._db

    def close(self) -> None:
        db, self._db = self._db, None
        if db is None:
            return
        if self._keep_on_close and not db.in_transaction:
            _keep(self.path, db)
        else:
            db.close()

    # -- writes ----------------------------------------------------------------------------
    def create_run(self, fields: dict[str, Any], revisions: list[Revision]) -> int | None:
        """The new run's pk; None when a run with its entity, project and id is already here
        (another process created it first): the caller joins that one."""
        db = self._connection()
        config: dict[str, Any] = {}
        for revision in revisions:
            _apply(config, key_path(revision[0]), revision[1])
        with _transaction(db, self._lock):
            # writers take turns from BEGIN IMMEDIATE: the run cannot appear after this look
            if db.execute(
                "SELECT 1 FROM runs WHERE entity = ? AND project = ? AND run_id = ?",
                (fields["entity"], fields["project"], fields["run_id"]),
            ).fetchone():
                return None
            db.execute(
                "INSERT INTO run_counters VALUES (?, 1)"
                " ON CONFLICT (project) DO UPDATE SET runs = runs + 1",
                (fields["project"],),
            )
            if not fields.get("name"):
                number = db.execute(
                    "SELECT runs FROM run_counters WHERE project = ?", (fields["project"],)
                ).fetchone()[0]
                fields["name"] = f"{fields.pop('name_stem')}-{number}"
            fields.pop("name_stem", None)
            now = fields["created_at"]
            cursor = db.execute(
                "INSERT INTO runs (entity, project, run_id, name, group_name, job_type, tags,"
                " notes, mode, state, created_at, heartbeat_at, heartbeat_interval, config,"
                " descriptions, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    fields["entity"],
                    fields["project"],
                    fields["run_id"],
                    fields["name"],
                    fields.get("group"),
                    fields.get("job_type"),
                    dumps(list(fields.get("tags") or [])),
                    fields.get("notes"),
                    fields["mode"],
                    now,
                    now,
                    fields["heartbeat_interval"],
                    dumps(config),
                    dumps(fields.get("descriptions") or {}),
                    dumps(fields.get("host") or {}),
                ),
            )
            pk = int(cursor.lastrowid or 0)
            self._insert_revisions(db, pk, "config", revisions)
        return pk

    def reopen_run(self, pk: int, heartbeat_interval: float, host: dict[str, Any]) -> None:
        db = self._connection()
        with _transaction(db, self._lock):
            row = db.execute("SELECT host FROM runs WHERE pk = ?", (pk,)).fetchone()
            merged = {**loads(row[0]), **host} if row else host
            db.execute(
                "UPDATE runs SET state = 'running', exit_code = NULL, finished_at = NULL,"
                " heartbeat_at = ?, heartbeat_interval = ?, host = ? WHERE pk = ?",
                (time.time(), heartbeat_interval, dumps(merged), pk),
            )

    def write_batch(self, pk: int, batch: Batch, heartbeat: bool = False) -> None:
        db = self._connection()
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
        unnumbered = [chunk for chunk in batch.history if chunk.index is None]
        try:
            self._write_batch(db, pk, batch)
        except BaseException:
            for chunk in unnumbered:
                chunk.index = None
            raise

    def _write_batch(self, db: sqlite3.Connection, pk: int, batch: Batch) -> None:
        # few statements: each one lets a training thread take the GIL from the writer's, and
        # handing it back and forth is most of what a write costs the training thread
        with _transaction(db, self._lock):
            if batch.revisions:
                self._apply_revisions(db, pk, "config", batch.revisions)
            if batch.summary:
                self._write_summary(db, pk, batch.summary)
            elif not batch.final:
                db.execute("UPDATE runs SET heartbeat_at = ? WHERE pk = ?", (time.time(), pk))
            if batch.descriptions:
                self._merge_json(db, pk, "descriptions", batch.descriptions)
            if batch.host:
                self._merge_json(db, pk, "host", batch.host)
            for chunk in batch.history:
                _write_chunk(db, pk, chunk)
            if batch.final:
                _finish(db, pk, *batch.final)

    def _write_summary(self, db: sqlite3.Connection, pk: int, values: dict[str, Any]) -> None:
        """Merge `values` into the run's summary and beat its heartbeat: one UPDATE while the
        stored summary is the one this store last wrote, else (an edit through the Api, a
        write rolled back) read it first."""
        now = time.time()
        last = self._summaries.get(pk)
        if last is not None:
            summary = {**last[1], **values}
            text = dumps(summary)
            if db.execute(
                "UPDATE runs SET summary = ?, heartbeat_at = ? WHERE pk = ? AND summary = ?",
                (text, now, pk, last[0]),
            ).rowcount:
                self._summaries[pk] = (text, summary)
                return
        self._summaries[pk] = self._merge_json(db, pk, "summary", values)
        db.execute("UPDATE runs SET heartbeat_at = ? WHERE pk = ?", (now, pk))

    def finish_run(self, pk: int, state: str, exit_code: int | None) -> None:
        db = self._connection()
        with _transaction(db, self._lock):
            _finish(db, pk, state, exit_code)

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
        db = self._connection()
        with _transaction(db, self._lock):
            if revisions:
                self._apply_revisions(db, pk, "config", revisions)
            if summary_revisions:
                self._apply_revisions(db, pk, "summary", summary_revisions)
            now = time.time()
            for field, column, value in edits:
                stored = dumps(list(value)) if column == "tags" else value
                db.execute(_EDIT_SQL[column], (stored, pk))
                self._insert_revisions(db, pk, "run", [(field, value, "api", None, None, now)])

    def delete_run(self, pk: int) -> None:
        db = self._connection()
        with _transaction(db, self._lock):
            tables = (
                "history_chunks",
                "history_columns",
                "revisions",
                "pushed_chunks",
                "pushed_revisions",
            )
            for table, column in (*((t, "run_pk") for t in tables), ("runs", "pk")):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (pk,))

    # -- sync: this store's runs read for a push, and runs pushed into this store ----------
    def origin(self) -> str:
        """This store's random name: a server keeps apart what each store pushed."""
        return str(
            self._connection().execute("SELECT value FROM meta WHERE name = 'origin'").fetchone()[0]
        )

    def revisions_after(self, pk: int, after: int, limit: int) -> list[tuple[int, str, str]]:
        """(number, scope, entries as JSON text) of the run's revision batches numbered above
        `after`, oldest first."""
        return (
            self._connection()
            .execute(
                "SELECT pk, scope, entries FROM revisions WHERE run_pk = ? AND pk > ? ORDER BY pk"
                " LIMIT ?",
                (pk, after, limit),
            )
            .fetchall()
        )

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
        db = self._connection()
        with _snapshot(db, self._lock):
            candidates = db.execute(
                "SELECT chunk, rows, min_step, max_step, steps, times FROM history_chunks"
                f" WHERE run_pk = ? AND (chunk > ? OR chunk IN ({', '.join('?' * len(grown))}))"
                " ORDER BY chunk LIMIT ?",  # `limit` wanted, once grown ones that did not are out
                (pk, after, *grown, limit + len(grown)),
            ).fetchall()
            wanted = _common.chunks_to_send(candidates, after, grown, limit)
            if not wanted:
                return []
            numbers = [row[0] for row in wanted]
            query = (
                "SELECT key, chunk, kind, positions, data FROM history_columns"
                f" WHERE run_pk = ? AND chunk IN ({', '.join('?' * len(numbers))})"
            )
            if keys is not None:
                query += f" AND key IN ({', '.join('?' * len(keys))})"
            column_rows = db.execute(query, (pk, *numbers, *(keys or ()))).fetchall()
        columns: dict[int, list[tuple[str, str, bytes | None, bytes]]] = {n: [] for n in numbers}
        for key, chunk, kind, positions, data in column_rows:
            columns[chunk].append((key, kind, positions, data))
        return [
            EncodedChunk(number, rows, low, high, steps, times, columns[number])
            for number, rows, low, high, steps, times in wanted
        ]

    def push_cursor(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        """What `origin` has pushed of a run: the last revision batch, the highest chunk and
        the chunks that may still grow ({chunk: rows}); None when the run is not here."""
        db = self._connection()
        row = db.execute(
            "SELECT pk FROM runs WHERE entity = ? AND project = ? AND run_id = ?",
            (entity, project, run_id),
        ).fetchone()
        if row is None:
            return None
        return _cursor(db, row[0], origin)

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
        _fields.check_pushed(run)
        db = self._connection()
        with _transaction(db, self._lock):
            pk = _pushed_run(db, run)
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
                "INSERT OR REPLACE INTO pushed_revisions VALUES (?, ?, ?)",
                (pk, origin, cursor["revisions"]),
            )
            for chunk in chunks:
                _apply_pushed_chunk(db, pk, origin, chunk)
            return _cursor(db, pk, origin)

    def origin_digest(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        """Rows and checksum of the chunks `origin` pushed of a run, in its order."""
        db = self._connection()
        found = db.execute(
            "SELECT pk FROM runs WHERE entity = ? AND project = ? AND run_id = ?",
            (entity, project, run_id),
        ).fetchone()
        if found is None:
            return None
        numbers = db.execute(
            "SELECT chunk FROM pushed_chunks WHERE run_pk = ? AND origin = ? ORDER BY origin_chunk",
            (found[0], origin),
        ).fetchall()
        return _common.digest(
            self.chunks_after(found[0], number - 1, {}, 1)[0] for (number,) in numbers
        )

    def _apply_revisions(
        self, db: sqlite3.Connection, pk: int, scope: str, revisions: list[Revision]
    ) -> None:
        row = db.execute(f"SELECT {scope} FROM runs WHERE pk = ?", (pk,)).fetchone()
        if row is None:
            raise StoreError(f"run {pk} is not in the store (was it deleted?)")
        document = loads(row[0])
        for key, value, _source, detail, _step, _time in revisions:
            if detail == "removed":
                _remove(document, key_path(key))
            elif type(key) is str and "." not in key and type(value) is not dict:
                document[key] = value  # a top-level plain value: most revisions
            else:
                _apply(document, key_path(key), value)
        db.execute(f"UPDATE runs SET {scope} = ? WHERE pk = ?", (dumps(document), pk))
        self._insert_revisions(db, pk, scope, revisions)

    def _merge_json(
        self, db: sqlite3.Connection, pk: int, column: str, values: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """Merge `values` into the run's JSON `column`; the merged document, as text and dict."""
        row = db.execute(f"SELECT {column} FROM runs WHERE pk = ?", (pk,)).fetchone()
        if row is None:
            raise StoreError(f"run {pk} is not in the store (was it deleted?)")
        merged = {**loads(row[0]), **values}
        text = dumps(merged)
        db.execute(f"UPDATE runs SET {column} = ? WHERE pk = ?", (text, pk))
        return text, merged

    @staticmethod
    def _insert_revisions(
        db: sqlite3.Connection, pk: int, scope: str, revisions: list[Revision]
    ) -> None:
        """One row per batch: a JSON list of [key, value, source, detail, step, time]. Revisions
        are read a run at a time, so a row per revision would only cost writes."""
        db.execute(
            "INSERT INTO revisions (run_pk, scope, entries) VALUES (?, ?, ?)",
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
        """Runs as dicts of their fields; with `keys` (`config.<dotted>`, `summary.<dotted>`,
        `config`, `summary`), config and summary hold only those keys, already decoded, and
        descriptions and host are left out: a fast read for comparing many runs."""
        if self._db is None:
            return []
        now = time.time()
        state, state_params = _query.state_sql(now)
        combined = _common.scoped(entity, project, filters)
        where, where_params = _query.where_sql(combined, now)
        order_by, order_params = _query.order_sql(order, now)
        columns, column_params = RUN_COLUMNS.format(state=state), list(state_params)
        picks: list[tuple[str, list[str]]] = []  # (document, key path) of each projected key
        if keys is not None:
            columns, picks, column_params = _projection(keys, state, state_params)
        sql = f"SELECT {columns} FROM runs WHERE {where} ORDER BY {order_by}"
        params = [*column_params, *where_params, *order_params]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        cursor = self._db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        if keys is None:
            return [_run_dict(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
        fixed = len(names) - 2 * len(picks)
        fields = names[:fixed]
        # (column of the JSON type, is it config, the key when it is not nested, its path)
        placed = [
            (fixed + 2 * i, document == "config", path[0] if len(path) == 1 else None, path)
            for i, (document, path) in enumerate(picks)
        ]
        runs = []
        for row in cursor.fetchall():
            run = _run_dict(dict(zip(fields, row)))  # noqa: B905 (the projections follow)
            config, summary = run.setdefault("config", {}), run.setdefault("summary", {})
            run["descriptions"] = run["host"] = {}
            for position, in_config, key, path in placed:
                kind = row[position]
                if kind is None:  # NULL: the run lacks the key
                    continue
                value = row[position + 1]
                if kind in _DECODED_KINDS:
                    value = _json_value(kind, value)
                document = config if in_config else summary
                if key is not None:
                    document[key] = value
                else:
                    _apply(document, path, value)
            runs.append(run)
        return runs

    def projects(self) -> list[tuple[str, str, int]]:
        if self._db is None:
            return []
        return [
            (entity, project, count)
            for entity, project, count in self._db.execute(
                "SELECT entity, project, count(*) FROM runs GROUP BY entity, project"
                " ORDER BY project, entity"
            )
        ]

    def changes_after(
        self, marks: tuple[int, int] | None
    ) -> tuple[tuple[Any, ...], list[str], list[str]]:
        """What run timestamps do not show, for the web app's change feed: ((the highest run
        number, the highest revision number, the number of runs) now, the paths of the runs
        numbered above marks[0] (created, or pushed, since), the paths of the runs given a
        revision numbered above marks[1] (edited through the Api, or pushed, since)). Without
        marks, only the first."""
        db = self._connection()
        top = db.execute(_common.FEED_TOP_SQL).fetchone()
        if marks is None:
            return top, [], []
        new = db.execute(_common.FEED_NEW_SQL.replace("%s", "?"), (marks[0], top[0])).fetchall()
        revised = db.execute(
            _common.FEED_REVISED_SQL.replace("%s", "?"), (marks[1], top[1])
        ).fetchall()
        return top, [p for (p,) in new], [p for (p,) in revised]

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

    def revisions(self, pk: int, scope: str) -> list[dict[str, Any]]:
        db = self._connection()
        rows = db.execute(
            "SELECT entries FROM revisions WHERE run_pk = ? AND scope = ? ORDER BY pk", (pk, scope)
        )
        return _common.revision_dicts(entries for (entries,) in rows)

    def history(
        self, pk: int, keys: list[str] | None = None, times: bool = True
    ) -> list[tuple[list[int], list[float], dict[str, tuple[list[int] | range, list[Any]]]]]:
        """The run's history, chunk by chunk: (steps, times, {key: (row positions, values)}),
        reading only the columns of `keys` when given (and no times with times=False)."""
        db = self._connection()
        query = "SELECT key, chunk, kind, positions, data FROM history_columns WHERE run_pk = ?"
        params: list[Any] = [pk]
        if keys is not None:
            query += f" AND key IN ({', '.join('?' * len(keys))})"
            params.extend(keys)
        with _snapshot(db, self._lock):
            chunk_rows = db.execute(
                "SELECT chunk, rows, steps, times FROM history_chunks WHERE run_pk = ?"
                " ORDER BY chunk",
                (pk,),
            ).fetchall()
            column_rows = db.execute(query, params).fetchall()
        return _common.decode_history(chunk_rows, column_rows, times)

    def last_step(self, pk: int) -> int | None:
        """The highest step logged to a run, to resume it."""
        return (
            self._connection()
            .execute("SELECT max(max_step) FROM history_chunks WHERE run_pk = ?", (pk,))
            .fetchone()[0]
        )


def _pushed_run(db: sqlite3.Connection, run: dict[str, Any]) -> int:
    """The pk of the pushed run, created or brought up to date (summary, descriptions and
    host merged; config only through revisions, so edits made here are not undone)."""
    key = (run["entity"], run["project"], run["run_id"])
    values = [dumps(run[f]) if f == "tags" else run[f] for f in PUSHED_FIELDS]
    row = db.execute(
        "SELECT pk, summary, descriptions, host FROM runs"
        " WHERE entity = ? AND project = ? AND run_id = ?",
        key,
    ).fetchone()
    if row is None:
        db.execute(
            f"INSERT INTO runs (entity, project, run_id, {', '.join(PUSHED_FIELDS)}, summary,"
            f" descriptions, host) VALUES ({', '.join('?' * (len(PUSHED_FIELDS) + 6))})",
            (*key, *values, dumps(run["summary"]), dumps(run["descriptions"]), dumps(run["host"])),
        )
        return int(db.execute("SELECT last_insert_rowid()").fetchone()[0])
    pk, *documents = row
    merged = [
        dumps({**loads(text), **run[name]})
        for name, text in zip(("summary", "descriptions", "host"), documents, strict=True)
    ]
    assignments = ", ".join(f"{f} = ?" for f in (*PUSHED_FIELDS, "summary", "descriptions", "host"))
    db.execute(f"UPDATE runs SET {assignments} WHERE pk = ?", (*values, *merged, pk))
    return int(pk)


def _cursor(db: sqlite3.Connection, pk: int, origin: str) -> dict[str, Any]:
    last = db.execute(
        "SELECT last FROM pushed_revisions WHERE run_pk = ? AND origin = ?", (pk, origin)
    ).fetchone()
    top = db.execute(
        "SELECT max(origin_chunk) FROM pushed_chunks WHERE run_pk = ? AND origin = ?",
        (pk, origin),
    ).fetchone()[0]
    partial = db.execute(
        "SELECT origin_chunk, rows FROM pushed_chunks WHERE run_pk = ? AND origin = ? AND rows < ?",
        (pk, origin, CHUNK_ROWS),
    ).fetchall()
    return {
        "revisions": last[0] if last else 0,
        "chunk": -1 if top is None else top,
        "grown": dict(partial),
    }


def _apply_pushed_chunk(db: sqlite3.Connection, pk: int, origin: str, chunk: EncodedChunk) -> None:
    """Store a chunk pushed as `origin`'s chunk number chunk.index, once (again with as many
    rows: its last row may have got values, see runcard._open_row)."""
    origin_chunk = chunk.index
    known = db.execute(
        "SELECT chunk, rows FROM pushed_chunks WHERE run_pk = ? AND origin = ? AND origin_chunk = ?",
        (pk, origin, origin_chunk),
    ).fetchone()
    if known is not None and known[1] > chunk.rows:
        return
    chunk.index = None if known is None else known[0]
    _write_chunk(db, pk, chunk)
    db.execute(
        "INSERT OR REPLACE INTO pushed_chunks VALUES (?, ?, ?, ?, ?)",
        (pk, origin, origin_chunk, chunk.index, chunk.rows),
    )


def _finish(db: sqlite3.Connection, pk: int, state: str, exit_code: int | None) -> None:
    now = time.time()
    db.execute(
        "UPDATE runs SET state = ?, exit_code = ?, finished_at = ?, heartbeat_at = ? WHERE pk = ?",
        (state, exit_code, now, now, pk),
    )


def _write_chunk(db: sqlite3.Connection, pk: int, chunk: EncodedChunk) -> None:
    if chunk.index is None:  # a new chunk: numbered here, inside the transaction
        chunk.index = db.execute(
            "SELECT coalesce(max(chunk) + 1, 0) FROM history_chunks WHERE run_pk = ?", (pk,)
        ).fetchone()[0]
    db.execute(
        "INSERT OR REPLACE INTO history_chunks"
        " (run_pk, chunk, rows, min_step, max_step, steps, times) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (pk, chunk.index, chunk.rows, chunk.min_step, chunk.max_step, chunk.steps, chunk.times),
    )
    columns = chunk.columns
    for start in range(0, len(columns), _COLUMNS_PER_INSERT):  # one statement for most chunks
        part = columns[start : start + _COLUMNS_PER_INSERT]
        values: list[Any] = []
        for key, *column in part:
            values += (pk, key, chunk.index, *column)
        db.execute(_insert_columns_sql(len(part)), values)


_COLUMNS_PER_INSERT = 150  # 6 values a column: within the 999 values older SQLite builds bind


@functools.lru_cache(maxsize=64)
def _insert_columns_sql(count: int) -> str:
    return (
        "INSERT OR REPLACE INTO history_columns (run_pk, key, chunk, kind, positions, data)"
        " VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?)"] * count)
    )


def _projection(
    keys: list[str], state: str, state_params: list[Any]
) -> tuple[str, list[tuple[str, list[str]]], list[Any]]:
    """SELECT columns for `query_runs(keys=...)`: the run fields, whole documents asked for
    (decoded then), and one JSON value per projected key."""
    fields = RUN_COLUMNS.format(state=state).split(", config,")[0]
    wholes: list[str] = []
    projections: list[str] = []
    picks: list[tuple[str, list[str]]] = []
    params = list(state_params)
    _query.check_keys(keys)
    for key in keys:
        head, _, rest = key.partition(".")
        if not rest:
            wholes.append(f"{head} AS {head}_whole")
            continue
        sql, sql_params = _query.projection_sql(head, rest)
        projections.append(sql)
        params.extend(sql_params)
        picks.append((head, rest.split(".")))
    return ", ".join([fields, *wholes, *projections]), picks, params


_DECODED_KINDS = frozenset(("object", "array", "true", "false"))  # the others come native


def _json_value(kind: str, value: Any) -> Any:
    """A value read with json_type / json_extract back in its Python form."""
    if kind in ("object", "array"):
        return loads(value)
    if kind in ("true", "false"):
        return kind == "true"
    return value  # integer, real, text: already native; null: None


def _run_dict(row: dict[str, Any]) -> dict[str, Any]:
    # tags decoded here; config, summary, descriptions and host stay JSON text for the reader
    # to decode when it needs them
    row["tags"] = _common.stored_tags(row["tags"])
    for document in ("config", "summary"):  # whole documents of a projection
        if f"{document}_whole" in row:
            row[document] = loads(row.pop(f"{document}_whole"))
    return row


def _apply(document: dict[str, Any], path: tuple[str, ...] | list[str], value: Any) -> None:
    node = document
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if isinstance(value, dict) and isinstance(node.get(path[-1]), dict):
        if value:  # a leaf dict written over a dict merges, as in Config
            node[path[-1]].update(value)
    else:
        node[path[-1]] = value


def _remove(document: dict[str, Any], path: tuple[str, ...] | list[str]) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


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

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            _retry_locked(lambda: self.db.execute("BEGIN IMMEDIATE"))
        except BaseException:
            self.lock.release()
            raise

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
def _snapshot(db: sqlite3.Connection, lock: threading.RLock) -> Iterator[None]:
    """Reads that must agree with each other (a chunk's steps and its columns, which the
    writer rewrites while the chunk is open): one read transaction, one snapshot."""
    with lock:
        if db.in_transaction:
            yield
            return
        db.execute("BEGIN")
        try:
            yield
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
