"""The one SQL store: every method and query written once, for SQLite and PostgreSQL alike.

Statements use `?` placeholders; PostgreSQL's connection handling rewrites them as `%s`. What
the databases do differently is the dialect a subclass gives (`_sqlite.SQLiteStore`,
`_postgres.PostgresStore`, see `_sql_read.SQLReader`): connection and transactions, row locks,
upserts, the filter compiler's SQL, and how text PostgreSQL cannot hold is stored. Writers of
one run take turns on the run's row (SQLite's writers on the database lock), so processes
writing to one run number their history chunks apart.

Reads (and the dialect's hooks) are in `_sql_read`, writes in `_sql_write`, and what `runcard
sync` reads and pushes here, in `SQLStore` itself.
"""

from __future__ import annotations

from runcard._convert import loads
from runcard._history import CHUNK_ROWS, EncodedChunk
from runcard._store import _common, _fields
from runcard._store._base import PUSHED_FIELDS
from runcard._store._sql_pages import SQLPages
from runcard._store._sql_read import RUN_PK, marks, one_of
from runcard._store._sql_write import SQLWriter
from runcard._store._sweeps import SweepTables

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class SQLStore(SweepTables, SQLWriter, SQLPages):
    """The Store interface over SQL, written once; a subclass gives the dialect."""

    # -- sync: this store's runs read for a push, and runs pushed into this store ----------
    def origin(self) -> str:
        with self._reading() as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'origin'").fetchone()
        return str(row[0]) if row else ""

    def revisions_after(self, pk: int, after: int, limit: int) -> list[tuple[int, str, str]]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT pk, scope, entries FROM revisions WHERE run_pk = ? AND pk > ? ORDER BY pk"
                " LIMIT ?",
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
        with self._snapshot() as db:
            candidates = db.execute(
                "SELECT chunk, rows, min_step, max_step, steps, times FROM history_chunks"
                f" WHERE run_pk = ? AND (chunk > ? OR {one_of('chunk', len(grown))})"
                " ORDER BY chunk LIMIT ?",  # `limit` wanted, once grown ones that did not are out
                (pk, after, *grown, limit + len(grown)),
            ).fetchall()
            wanted = _common.chunks_to_send(candidates, after, grown, limit)
            if not wanted:
                return []
            numbers = [row[0] for row in wanted]
            query = (
                "SELECT key, chunk, kind, positions, data FROM history_columns"
                f" WHERE run_pk = ? AND {one_of('chunk', len(numbers))}"
            )
            if keys is not None:
                query += f" AND {one_of('key', len(keys))}"
            column_rows = db.execute(query, (pk, *numbers, *self._texts(keys))).fetchall()
        columns: dict[int, list[tuple[str, str, bytes | None, bytes]]] = {n: [] for n in numbers}
        for key, chunk, kind, positions, data in self._read_keys(column_rows):
            columns[chunk].append((key, kind, positions, data))
        return [
            EncodedChunk(number, rows, low, high, steps, times, columns[number])
            for number, rows, low, high, steps, times in wanted
        ]

    def push_cursor(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        with self._writing() as db:
            row = db.execute(RUN_PK, self._texts([entity, project, run_id])).fetchone()
            return None if row is None else _cursor(db, row[0], origin)

    def apply_push(
        self,
        origin: str,
        run: dict[str, Any],
        revisions: list[tuple[int, str, str]],
        chunks: list[EncodedChunk],
    ) -> dict[str, Any]:
        _fields.check_pushed(run)
        with self._writing() as db:
            pk = self._pushed_run(db, run)  # holds the run's row lock to the commit
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
                self._upsert(
                    "pushed_revisions", ("run_pk", "origin", "last"), ("run_pk", "origin")
                ),
                (pk, origin, cursor["revisions"]),
            )
            for chunk in chunks:
                self._apply_pushed_chunk(db, pk, origin, chunk)
            return _cursor(db, pk, origin)

    def _pushed_run(self, db: Any, run: dict[str, Any]) -> int:
        """The pk of the pushed run, created or brought up to date (summary, descriptions and
        host merged; config only through revisions, so edits made here are not undone)."""
        key = self._texts([run["entity"], run["project"], run["run_id"]])
        values = [
            self._json(run[f]) if f == "tags" else self._text(run.get(f)) for f in PUSHED_FIELDS
        ]
        documents = [self._json(run[name]) for name in ("summary", "descriptions", "host")]
        # insert or lock: concurrent first pushes of one run meet on the unique key
        db.execute(
            f"INSERT INTO runs (entity, project, run_id, {', '.join(PUSHED_FIELDS)}, summary,"
            f" descriptions, host) VALUES ({marks(len(PUSHED_FIELDS) + 6)})"
            " ON CONFLICT (entity, project, run_id) DO NOTHING",
            (*key, *values, *documents),
        )
        pk, *stored = db.execute(
            "SELECT pk, summary, descriptions, host FROM runs"
            f" WHERE entity = ? AND project = ? AND run_id = ?{self._for_update}",
            key,
        ).fetchone()
        merged = [
            self._json({**loads(old), **run[name]})
            for name, old in zip(("summary", "descriptions", "host"), stored, strict=True)
        ]
        assignments = ", ".join(f"{f} = ?" for f in (*PUSHED_FIELDS, "summary", "descriptions"))
        db.execute(f"UPDATE runs SET {assignments}, host = ? WHERE pk = ?", (*values, *merged, pk))
        return int(pk)

    def _apply_pushed_chunk(self, db: Any, pk: int, origin: str, chunk: EncodedChunk) -> None:
        """Store a chunk pushed as `origin`'s chunk number chunk.index, once (again with as
        many rows: its last row may have got values, see runcard._open_row)."""
        origin_chunk = chunk.index
        known = db.execute(
            "SELECT chunk, rows FROM pushed_chunks"
            " WHERE run_pk = ? AND origin = ? AND origin_chunk = ?",
            (pk, origin, origin_chunk),
        ).fetchone()
        if known is not None and known[1] > chunk.rows:
            return
        chunk.index = None if known is None else known[0]
        self._write_chunk(db, pk, chunk)
        columns = ("run_pk", "origin", "origin_chunk", "chunk", "rows")
        db.execute(
            self._upsert("pushed_chunks", columns, ("run_pk", "origin", "origin_chunk")),
            (pk, origin, origin_chunk, chunk.index, chunk.rows),
        )

    def origin_digest(
        self, origin: str, entity: str, project: str, run_id: str
    ) -> dict[str, Any] | None:
        with self._reading() as db:
            found = db.execute(RUN_PK, self._texts([entity, project, run_id])).fetchone()
            if found is None:
                return None
            numbers = db.execute(
                "SELECT chunk FROM pushed_chunks WHERE run_pk = ? AND origin = ?"
                " ORDER BY origin_chunk",
                (found[0], origin),
            ).fetchall()
        return _common.digest(
            self.chunks_after(found[0], number - 1, {}, 1)[0] for (number,) in numbers
        )


def _cursor(db: Any, pk: int, origin: str) -> dict[str, Any]:
    last = db.execute(
        "SELECT last FROM pushed_revisions WHERE run_pk = ? AND origin = ?", (pk, origin)
    ).fetchone()
    top = db.execute(
        "SELECT max(origin_chunk) FROM pushed_chunks WHERE run_pk = ? AND origin = ?",
        (pk, origin),
    ).fetchone()
    partial = db.execute(
        "SELECT origin_chunk, rows FROM pushed_chunks WHERE run_pk = ? AND origin = ? AND rows < ?",
        (pk, origin, CHUNK_ROWS),
    ).fetchall()
    return {
        "revisions": int(last[0]) if last else 0,
        "chunk": -1 if top is None or top[0] is None else int(top[0]),
        "grown": {int(number): int(rows) for number, rows in partial},
    }
