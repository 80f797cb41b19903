"""The one SQL store's writes: runs created, written, finished, edited and deleted."""

from __future__ import annotations

import functools
import time

from runcard._config import key_path
from runcard._convert import dumps, loads
from runcard._errors import RunNotFoundError
from runcard._store import _fields
from runcard._store._base import merge_document
from runcard._store._sql_read import (
    RUN_PK,
    SQLReader,
    apply,
    gone,
    one,
    remove,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._config import Revision
    from runcard._history import EncodedChunk
    from runcard._store._base import Batch

# an edited field's UPDATE, by column: the column names are _fields.EDITABLE's, never the input's
_EDIT_SQL = {c: f"UPDATE runs SET {c} = ? WHERE pk = ?" for c in _fields.EDITABLE.values()}
_COLUMNS_PER_INSERT = 150  # 6 values a column: within the 999 values older SQLite builds bind
# every table keyed by run (run_pk) besides runs itself: a deleted run leaves nothing there
RUN_TABLES = ("history_chunks", "history_columns", "revisions", "pushed_chunks", "pushed_revisions")


class SQLWriter(SQLReader):
    # per run: the summary as this store last wrote it (JSON text, and decoded)
    _summaries: dict[int, tuple[str, dict[str, Any]]]

    # -- writes ----------------------------------------------------------------------------
    def create_run(self, fields: dict[str, Any], revisions: list[Revision]) -> int | None:
        config: dict[str, Any] = {}
        for revision in revisions:
            apply(config, key_path(revision[0]), revision[1])
        try:
            return self._create_run(fields, revisions, config)
        except _Taken:
            return None

    def _create_run(
        self, fields: dict[str, Any], revisions: list[Revision], config: dict[str, Any]
    ) -> int:
        text = self._text
        with self._writing() as db:
            # the counter's row lock makes concurrent creations in a project take turns
            project = text(fields["project"])
            db.execute(
                "INSERT INTO run_counters VALUES (?, 1)"
                " ON CONFLICT (project) DO UPDATE SET runs = run_counters.runs + 1",
                (project,),
            )
            if not fields.get("name"):
                number = one(
                    db.execute("SELECT runs FROM run_counters WHERE project = ?", (project,))
                )
                fields["name"] = f"{fields.pop('name_stem')}-{number}"
            fields.pop("name_stem", None)
            now = fields["created_at"]
            key = (text(fields["entity"]), project, text(fields["run_id"]))
            inserted = db.execute(
                "INSERT INTO runs (entity, project, run_id, name, group_name, job_type, tags,"
                " notes, mode, state, created_at, heartbeat_at, heartbeat_interval, config,"
                " descriptions, host, sweep)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (entity, project, run_id) DO NOTHING",
                (
                    *key,
                    text(fields["name"]),
                    text(fields.get("group")),
                    text(fields.get("job_type")),
                    self._json(list(fields.get("tags") or [])),
                    text(fields.get("notes")),
                    fields["mode"],
                    now,
                    now,
                    fields["heartbeat_interval"],
                    self._json(config),
                    self._json(fields.get("descriptions") or {}),
                    self._json(fields.get("host") or {}),
                    text(fields.get("sweep")),
                ),
            )
            if not inserted.rowcount:  # created meanwhile by another process: undo the counter
                raise _Taken
            pk = one(db.execute(RUN_PK, key))
            self._insert_revisions(db, pk, "config", revisions)
        return pk

    def reopen_run(self, pk: int, heartbeat_interval: float, host: dict[str, Any]) -> None:
        with self._writing() as db:
            row = db.execute(
                f"SELECT host FROM runs WHERE pk = ?{self._for_update}", (pk,)
            ).fetchone()
            merged = {**loads(row[0]), **host} if row else host
            db.execute(
                "UPDATE runs SET state = 'running', exit_code = NULL, finished_at = NULL,"
                " heartbeat_at = ?, heartbeat_interval = ?, host = ? WHERE pk = ?",
                (time.time(), heartbeat_interval, self._json(merged), pk),
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
        unnumbered = [chunk for chunk in batch.history if chunk.index is None]
        try:
            self._write_batch(pk, batch)
        except BaseException:
            for chunk in unnumbered:
                chunk.index = None
            raise

    def _write_batch(self, pk: int, batch: Batch) -> None:
        # few statements: each one lets a training thread take the GIL from the writer's, and
        # handing it back and forth is most of what a write costs the training thread. The
        # run's row is written first: its lock orders the run's writers, and a run deleted
        # meanwhile fails the batch instead of leaving history behind.
        with self._writing() as db:
            if batch.revisions:
                self._apply_revisions(db, pk, "config", batch.revisions)
            if batch.summary:
                self._write_summary(db, pk, batch.summary)  # which beats the heartbeat too
            if batch.final:
                _finish(db, pk, *batch.final)
            elif (
                not batch.summary
                and not db.execute(
                    "UPDATE runs SET heartbeat_at = ? WHERE pk = ?", (time.time(), pk)
                ).rowcount
            ):
                raise gone(pk)
            if batch.descriptions:
                self._merge_json(db, pk, "descriptions", batch.descriptions)
            if batch.host:
                self._merge_json(db, pk, "host", batch.host)
            for chunk in batch.history:
                self._write_chunk(db, pk, chunk)

    def _write_summary(self, db: Any, pk: int, values: dict[str, Any]) -> None:
        """Merge `values` into the run's summary and beat its heartbeat: one UPDATE while the
        stored summary is the one this store last wrote, else (an edit through the Api, a
        write rolled back) read it first."""
        now = time.time()
        last = self._summaries.get(pk)
        if last is not None:
            summary = merge_document(last[1], values)
            text = self._json(summary)
            if db.execute(
                f"UPDATE runs SET summary = ?, heartbeat_at = ? WHERE pk = ? AND {self._summary_is}",
                (text, now, pk, last[0]),
            ).rowcount:
                self._summaries[pk] = (text, summary)
                return
        self._summaries[pk] = self._merge_json(db, pk, "summary", values)
        db.execute("UPDATE runs SET heartbeat_at = ? WHERE pk = ?", (now, pk))

    def _write_chunk(self, db: Any, pk: int, chunk: EncodedChunk) -> None:
        if chunk.index is None:  # a new chunk: numbered here, inside the transaction
            chunk.index = one(
                db.execute(
                    "SELECT coalesce(max(chunk) + 1, 0) FROM history_chunks WHERE run_pk = ?",
                    (pk,),
                )
            )
        db.execute(
            self._chunk_sql(),
            (pk, chunk.index, chunk.rows, chunk.min_step, chunk.max_step, chunk.steps, chunk.times),
        )
        columns = chunk.columns
        text = self._text
        for start in range(0, len(columns), _COLUMNS_PER_INSERT):  # one statement for most chunks
            part = columns[start : start + _COLUMNS_PER_INSERT]
            values: list[Any] = []
            for key, *column in part:
                values += (pk, text(key), chunk.index, *column)
            db.execute(self._columns_sql(len(part)), values)

    @classmethod
    @functools.lru_cache(maxsize=8)
    def _chunk_sql(cls) -> str:
        columns = ("run_pk", "chunk", "rows", "min_step", "max_step", "steps", "times")
        return cls._upsert("history_chunks", columns, ("run_pk", "chunk"))

    @classmethod
    @functools.lru_cache(maxsize=128)
    def _columns_sql(cls, count: int) -> str:
        columns = ("run_pk", "key", "chunk", "kind", "positions", "data")
        return cls._upsert("history_columns", columns, ("run_pk", "key", "chunk"), count)

    def finish_run(self, pk: int, state: str, exit_code: int | None) -> None:
        with self._writing() as db:
            _finish(db, pk, state, exit_code)

    def edit_run(
        self,
        pk: int,
        fields: dict[str, Any],
        revisions: list[Revision],
        summary_revisions: list[Revision],
    ) -> None:
        edits = _fields.check_edit(fields)
        with self._writing() as db:
            # the run's row first, locked: an edit of a deleted run must not leave revisions
            if (
                db.execute(f"SELECT 1 FROM runs WHERE pk = ?{self._for_update}", (pk,)).fetchone()
                is None
            ):
                raise RunNotFoundError(f"run {pk} is not in the store (was it deleted?)")
            if revisions:
                self._apply_revisions(db, pk, "config", revisions)
            if summary_revisions:
                self._apply_revisions(db, pk, "summary", summary_revisions)
            now = time.time()
            for field, column, value in edits:
                stored = self._json(list(value)) if column == "tags" else self._text(value)
                db.execute(_EDIT_SQL[column], (stored, pk))
                self._insert_revisions(db, pk, "run", [(field, value, "api", None, None, now)])

    def delete_run(self, pk: int) -> None:
        with self._writing() as db:
            # the run's row first, as its writers lock it: then neither waits on the other
            db.execute(f"SELECT 1 FROM runs WHERE pk = ?{self._for_update}", (pk,))
            for table in RUN_TABLES:
                db.execute(f"DELETE FROM {table} WHERE run_pk = ?", (pk,))
            db.execute("DELETE FROM runs WHERE pk = ?", (pk,))

    def _apply_revisions(self, db: Any, pk: int, scope: str, revisions: list[Revision]) -> None:
        row = db.execute(f"SELECT {scope} FROM runs WHERE pk = ?{self._for_update}", (pk,))
        row = row.fetchone()
        if row is None:
            raise gone(pk)
        document = loads(row[0])
        for key, value, _source, detail, _step, _time in revisions:
            if detail == "removed":
                remove(document, key_path(key))
            elif type(key) is str and "." not in key and type(value) is not dict:
                document[key] = value  # a top-level plain value: most revisions
            else:
                apply(document, key_path(key), value)
        db.execute(f"UPDATE runs SET {scope} = ? WHERE pk = ?", (self._json(document), pk))
        self._insert_revisions(db, pk, scope, revisions)

    def _merge_json(
        self, db: Any, pk: int, column: str, values: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """Merge `values` into the run's JSON `column`; the merged document, as text and dict."""
        row = db.execute(f"SELECT {column} FROM runs WHERE pk = ?{self._for_update}", (pk,))
        row = row.fetchone()
        if row is None:
            raise gone(pk)
        merged = merge_document(loads(row[0]), values)
        text = self._json(merged)
        db.execute(f"UPDATE runs SET {column} = ? WHERE pk = ?", (text, pk))
        return text, merged

    @staticmethod
    def _insert_revisions(db: Any, pk: int, scope: str, revisions: list[Revision]) -> None:
        """One row per batch: a JSON list of [key, value, source, detail, step, time]. Revisions
        are read a run at a time, so a row per revision would only cost writes. (JSON text
        escapes NUL, so any database's text column holds it.)"""
        db.execute(
            "INSERT INTO revisions (run_pk, scope, entries) VALUES (?, ?, ?)",
            (pk, scope, dumps(revisions)),
        )


class _Taken(Exception):
    """The run to create is already there: its transaction is rolled back."""


def _finish(db: Any, pk: int, state: str, exit_code: int | None) -> None:
    now = time.time()
    if not db.execute(
        "UPDATE runs SET state = ?, exit_code = ?, finished_at = ?, heartbeat_at = ? WHERE pk = ?",
        (state, exit_code, now, now, pk),
    ).rowcount:
        raise gone(pk)
