"""The one SQL store's reads, and the dialect each database gives it (see `_sql`)."""

from __future__ import annotations

import time

from runcard._convert import dumps, loads
from runcard._errors import StoreError
from runcard._store import _common, _query
from runcard._store._base import Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from typing import Any

    from runcard._store._base import History

RUN_COLUMNS = (
    "pk, entity, project, run_id, name, group_name, job_type, tags, notes, mode, {state} AS state,"
    " exit_code, created_at, finished_at, heartbeat_at, heartbeat_interval, sweep, config,"
    " summary, descriptions, host"
)
RUN_PK = "SELECT pk FROM runs WHERE entity = ? AND project = ? AND run_id = ?"


class SQLReader(Store):
    # -- the dialect, given by each database's subclass -----------------------------------
    _db: Any  # the connection; None for a store that does not exist (and is not created)
    _filters: _query.Dialect  # the SQL of filter tests and orders
    _for_update = ""  # what locks the rows a SELECT reads until the commit
    _summary_is = "summary = ?"  # the stored summary's JSON text equals a bound text
    _decoded_kinds: frozenset[str]  # projected values that `_projected` decodes
    _encodes_text = False  # whether `_text` and `_json` store some text otherwise

    def _writing(self) -> AbstractContextManager[Any]:
        """One write transaction; the connection."""
        raise NotImplementedError

    def _reading(self) -> AbstractContextManager[Any]:
        """The connection, for reads that need no snapshot."""
        raise NotImplementedError

    def _snapshot(self) -> AbstractContextManager[Any]:
        """The connection, for reads that must agree with each other (a chunk's steps and its
        columns, which the writer rewrites while the chunk is open): one snapshot."""
        raise NotImplementedError

    @staticmethod
    def _upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...], rows: int = 1) -> str:
        """INSERT of `rows` rows of `columns` into `table`, each replacing the row with the
        same `key`."""
        raise NotImplementedError

    @staticmethod
    def _text(value: Any) -> Any:
        """A value for a text column, as stored."""
        return value

    @staticmethod
    def _json(value: Any) -> str:
        """A value as the JSON text a document column stores."""
        return dumps(value)

    @staticmethod
    def _projected(kind: str, value: Any) -> Any:
        """A value of `query_runs(keys=...)` (of a kind in `_decoded_kinds`) in Python form."""
        raise NotImplementedError

    def _read_text(self, row: dict[str, Any]) -> None:
        """Undo `_text` and `_json` in a run's fields read back (with `_encodes_text`)."""

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
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        if self._db is None:
            return []
        now = time.time()
        combined = _common.scoped(entity, project, filters)
        where = _query.where_sql(combined, now, self._filters)
        return self._select_runs(
            where, _query.order_sql(order, now, self._filters), now, keys, limit, offset
        )

    def _select_runs(
        self,
        where_fragment: tuple[str, list[Any]],
        order_fragment: tuple[str, list[Any]],
        now: float,
        keys: list[str] | None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The runs WHERE `where_fragment`, ORDER BY `order_fragment`, as `query_runs` gives
        them."""
        dialect = self._filters
        state, state_params = dialect.state(now)
        where, where_params = where_fragment
        order_by, order_params = order_fragment
        columns, column_params = RUN_COLUMNS.format(state=state), list(state_params)
        picks: list[tuple[str, list[str]]] = []  # (document, key path) of each projected key
        if keys is not None:
            columns, picks, column_params = self._projection(keys, state, state_params)
        sql = f"SELECT {columns} FROM runs WHERE {where} ORDER BY {order_by}"
        params = [*column_params, *where_params, *order_params]
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"  # SQLite takes no OFFSET without a LIMIT
            params += [2**62 if limit is None else limit, offset]
        with self._reading() as db:
            cursor = db.execute(sql, params)
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        read_text = self._read_text if self._encodes_text else None
        if keys is None:
            return [_run_dict(dict(zip(names, row, strict=True)), read_text) for row in rows]
        fixed = len(names) - 2 * len(picks)
        fields = names[:fixed]
        # (column of the JSON type, is it config, the key when it is not nested, its path)
        placed = [
            (fixed + 2 * i, document == "config", path[0] if len(path) == 1 else None, path)
            for i, (document, path) in enumerate(picks)
        ]
        decoded, projected = self._decoded_kinds, self._projected
        runs = []
        for row in rows:
            run = _run_dict(dict(zip(fields, row)), read_text)  # noqa: B905 (projections follow)
            config, summary = run.setdefault("config", {}), run.setdefault("summary", {})
            run["descriptions"] = run["host"] = {}
            for position, in_config, key, path in placed:
                kind = row[position]
                if kind is None:  # NULL: the run lacks the key
                    continue
                value = row[position + 1]
                if kind in decoded:
                    value = projected(kind, value)
                document = config if in_config else summary
                if key is not None:
                    document[key] = value
                else:
                    apply(document, path, value)
            runs.append(run)
        return runs

    def _projection(
        self, keys: list[str], state: str, state_params: list[Any]
    ) -> tuple[str, list[tuple[str, list[str]]], list[Any]]:
        """SELECT columns for `query_runs(keys=...)`: the run fields, whole documents asked for
        (decoded then), and a JSON type and value per projected key."""
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
            sql, sql_params = _query.projection_sql(head, rest, self._filters)
            projections.append(sql)
            params.extend(sql_params)
            picks.append((head, rest.split(".")))
        return ", ".join([fields, *wholes, *projections]), picks, params

    def projects(self) -> list[tuple[str, str, int]]:
        if self._db is None:
            return []
        with self._reading() as db:
            rows = db.execute(
                "SELECT entity, project, count(*) FROM runs GROUP BY entity, project"
                " ORDER BY project, entity"
            ).fetchall()
        if self._encodes_text:
            found = [{"entity": entity, "project": project} for entity, project, _ in rows]
            for names in found:
                self._read_text(names)
            return [(n["entity"], n["project"], row[2]) for n, row in zip(found, rows, strict=True)]
        return [(entity, project, count) for entity, project, count in rows]

    def changes_after(
        self, marks: tuple[int, int] | None
    ) -> tuple[tuple[Any, ...], list[str], list[str]]:
        if self._db is None:
            return (0, 0, 0), [], []
        with self._snapshot() as db:
            top = tuple(db.execute(_FEED_TOP).fetchone())
            if marks is None:
                return top, [], []
            new = db.execute(_FEED_NEW, (marks[0], top[0])).fetchall()
            revised = db.execute(_FEED_REVISED, (marks[1], top[1])).fetchall()
        return top, self._paths(new), self._paths(revised)

    def _paths(self, rows: list[Any]) -> list[str]:
        found = [
            {"entity": entity, "project": project, "run_id": run_id}
            for entity, project, run_id in rows
        ]
        if self._encodes_text:
            for names in found:
                self._read_text(names)
        return [f"{n['entity']}/{n['project']}/{n['run_id']}" for n in found]

    def revisions(self, pk: int, scope: str) -> list[dict[str, Any]]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT entries FROM revisions WHERE run_pk = ? AND scope = ? ORDER BY pk",
                (pk, scope),
            ).fetchall()
        return _common.revision_dicts(entries for (entries,) in rows)

    def history(self, pk: int, keys: list[str] | None = None, times: bool = True) -> History:
        query = "SELECT key, chunk, kind, positions, data FROM history_columns WHERE run_pk = ?"
        params: list[Any] = [pk]
        if keys is not None:
            query += f" AND {one_of('key', len(keys))}"
            params.extend(self._texts(keys))
        with self._snapshot() as db:
            chunk_rows = db.execute(
                "SELECT chunk, rows, steps, times FROM history_chunks WHERE run_pk = ?"
                " ORDER BY chunk",
                (pk,),
            ).fetchall()
            column_rows = db.execute(query, params).fetchall()
        return _common.decode_history(chunk_rows, self._read_keys(column_rows), times)

    def last_step(self, pk: int) -> int | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT max(max_step) FROM history_chunks WHERE run_pk = ?", (pk,)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # -- text as stored --------------------------------------------------------------------
    def _texts(self, values: list[str] | None) -> list[Any]:
        return [] if values is None else [self._text(value) for value in values]

    def _read_keys(self, column_rows: list[Any]) -> list[Any]:
        """History column rows (key first) with their keys as written."""
        if not self._encodes_text:
            return column_rows
        decoded = []
        for key, *rest in column_rows:
            names = {"key": key}
            self._read_text(names)
            decoded.append((names["key"], *rest))
        return decoded


# the change feed's marks (see changes_after)
_FEED_TOP = (
    "SELECT (SELECT coalesce(max(pk), 0) FROM runs), (SELECT coalesce(max(pk), 0) FROM revisions),"
    " (SELECT count(*) FROM runs)"
)
_FEED_NEW = "SELECT entity, project, run_id FROM runs WHERE pk > ? AND pk <= ?"
_FEED_REVISED = (
    "SELECT DISTINCT r.entity, r.project, r.run_id FROM revisions v"
    " JOIN runs r ON r.pk = v.run_pk WHERE v.pk > ? AND v.pk <= ?"
)


def gone(pk: int) -> StoreError:
    return StoreError(f"run {pk} is not in the store (was it deleted?)")


def one(cursor: Any) -> int:
    row = cursor.fetchone()
    if row is None:
        raise StoreError("the database returned no row where one was expected")
    return int(row[0])


def marks(count: int) -> str:
    return ", ".join("?" * count)


def _run_dict(
    row: dict[str, Any], read_text: Callable[[dict[str, Any]], None] | None
) -> dict[str, Any]:
    # tags decoded here; config, summary, descriptions and host stay JSON text for the reader
    # to decode when it needs them
    if read_text is not None:
        read_text(row)
    row["tags"] = _common.stored_tags(row["tags"])
    for document in ("config", "summary"):  # whole documents of a projection
        if f"{document}_whole" in row:
            row[document] = loads(row.pop(f"{document}_whole"))
    return row


def one_of(column: str, count: int) -> str:
    """`column` IN `count` values (PostgreSQL takes no empty list)."""
    return f"{column} IN ({marks(count)})" if count else "1 = 0"


def values_sql(width: int, rows: int = 1) -> str:
    """VALUES for `rows` rows of `width` values."""
    return " VALUES " + ", ".join([f"({marks(width)})"] * rows)


def apply(document: dict[str, Any], path: tuple[str, ...] | list[str], value: Any) -> None:
    """Write `value` at `path` in `document`, making the dicts on the way."""
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


def remove(document: dict[str, Any], path: tuple[str, ...] | list[str]) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)
