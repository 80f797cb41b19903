"""`runcard doctor`: find what is damaged in an SQLite store file, and copy everything readable
of it into a fresh store.

The copy is made table by table, row by row, as stored: run numbers, chunk numbers and the
store's origin stay what they were, so a later `runcard sync` sends nothing twice. A scan that
meets a damaged page starts again past it (the first key it can seek to beyond the last row
read); the rows in between are what could not be copied.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import time

from runcard._convert import loads
from runcard._errors import StoreError
from runcard._store._guard import DAMAGE, brief
from runcard._store._sqlite import BUSY_TIMEOUT_SECONDS, SQLiteStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Gap = tuple[str, int, int | None, BaseException]

# each table, and the integer its rows are ordered by first: a scan resumes past damage on it
TABLES = (
    ("meta", "rowid"),
    ("run_counters", "rowid"),
    ("runs", "rowid"),
    ("revisions", "rowid"),
    ("history_chunks", "run_pk"),
    ("history_columns", "run_pk"),
    ("pushed_chunks", "run_pk"),
    ("pushed_revisions", "run_pk"),
)
BATCH_ROWS = 500
_LAST_KEY = 2**62


class Report:
    """What a check or a repair found: `problems` (damage found), `lost` (what a repair could
    not copy), `copied` (runs in the fresh store) and where the damaged file was kept."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.lost: list[str] = []
        self.runs: int | None = None  # the runs read back; None when they cannot be listed
        self.kept_as: str | None = None


def check(root: str) -> Report:
    """Check the store under `root`: SQLite's integrity check, a scan of every table, then every
    run read through the store (fields, config, summary, revisions, history)."""
    path = _path(root)
    report = Report()
    source = _connect(path)
    try:
        try:
            found = [row[0] for row in source.execute("PRAGMA integrity_check(20)")]
            if found != ["ok"]:
                report.problems += [f"integrity check: {message}" for message in found]
        except DAMAGE as exc:
            report.problems.append(f"integrity check: {brief(exc)}")
        names = _run_names(source)
        for table, key in TABLES:
            try:
                columns = _columns(source, table)
            except DAMAGE as exc:  # the schema itself: no table can be read
                report.problems.append(f"the tables cannot be read ({brief(exc)})")
                break
            gaps = _scan(source, table, key, columns, lambda rows: None)
            report.problems += [_describe(gap, names) for gap in gaps]
    finally:
        source.close()
    report.problems += _read_runs(root, report)
    return report


def repair(root: str) -> Report:
    """Copy every readable row of the store under `root` into a fresh store file, keep the
    damaged one aside as runcard.db.damaged-<time>, and put the fresh one in its place."""
    path = _path(root)
    report = Report()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    while os.path.exists(f"{path}.damaged-{stamp}"):  # a repair a moment ago
        stamp += "-1"
    fresh_root = os.path.join(root, f".repair-{stamp}")
    source = _connect(path)
    try:
        try:  # no run may write to the store while it is copied, and then replaced
            source.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"{path} is being written ({exc}): stop the runs that write to it, then repair"
            ) from exc
        except DAMAGE:
            pass  # a file SQLite cannot read at all: no run writes to it either
        shutil.rmtree(fresh_root, ignore_errors=True)  # left by a repair interrupted
        try:
            _copy(source, fresh_root, report)
        except BaseException:
            shutil.rmtree(fresh_root, ignore_errors=True)
            raise
        report.kept_as = f"{path}.damaged-{stamp}"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.replace(path + suffix, report.kept_as + suffix)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(os.path.join(fresh_root, "runcard.db" + suffix)):
                os.replace(os.path.join(fresh_root, "runcard.db" + suffix), path + suffix)
        os.rmdir(fresh_root)
    finally:
        source.close()
    report.problems = _read_runs(root, report)  # what the fresh store still cannot give back
    return report


def _copy(source: sqlite3.Connection, fresh_root: str, report: Report) -> None:
    fresh = SQLiteStore(fresh_root)  # the current schema, empty
    fresh._keep_on_close = False
    target = fresh._connection()

    def write(sql: str, rows: list[tuple[Any, ...]]) -> None:
        try:
            target.executemany(sql, rows)
        except sqlite3.Error as exc:  # not the damaged file's fault: stop
            raise StoreError(f"cannot write the fresh store {fresh.path}: {exc}") from exc

    names = _run_names(source)
    try:
        target.execute("BEGIN")
        for table, key in TABLES:
            columns = _columns(target, table)
            insert = (
                f"INSERT OR REPLACE INTO {table} ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            gaps = _scan(source, table, key, columns, functools.partial(write, insert))
            report.lost += [_describe(gap, names) for gap in gaps]
        report.lost += _tidy(target, names)
        target.execute("COMMIT")
        live = target.execute(
            "SELECT entity || '/' || project || '/' || run_id FROM runs"
            " WHERE state = 'running' AND heartbeat_at > ? - 2 * heartbeat_interval",
            (time.time(),),
        )
        report.lost += [
            f"run {path} is live: what it writes from now on goes to the old file"
            for (path,) in live
        ]
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the fresh store {fresh.path}: {exc}") from exc
    finally:
        fresh.close()


def _path(root: str) -> str:
    path = os.path.join(root, "runcard.db")
    if not os.path.exists(path):
        raise StoreError(f"there is no runcard store at {path}")
    return path


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    """The table's columns as the file's schema has them (the fresh store's, in a repair),
    quoted: a damaged or foreign file's column names never become SQL."""
    columns = [
        '"' + row[1].replace('"', '""') + '"' for row in db.execute(f"PRAGMA table_info({table})")
    ]
    if not columns:
        raise StoreError(f"{table}: no such table in the store (is it a runcard store?)")
    return columns


def _scan(
    db: sqlite3.Connection,
    table: str,
    key: str,
    columns: list[str],
    sink: Callable[[list[tuple[Any, ...]]], None],
) -> list[Gap]:
    """Hand every readable row of `table` to `sink`, in batches; the damaged stretches skipped
    are returned: (table, first key, last key or None for the end, the error)."""
    gaps: list[Gap] = []
    select = f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE {key} >= ? ORDER BY {key}"
    start = 0
    while True:
        batch: list[tuple[Any, ...]] = []
        last: int | None = None
        try:
            for row in db.execute(select, (start,)):
                batch.append(row[1:])
                last = row[0]
                if len(batch) == BATCH_ROWS:
                    sink(batch)
                    batch = []
            sink(batch)
            return gaps
        except DAMAGE as exc:
            sink(batch)
            if key == "rowid":  # the row before the damage went with the cursor's read-ahead
                start = start if last is None else last + 1
                while True:  # rows read alone (LIMIT 1 reads nothing past its row)
                    try:
                        row = db.execute(select + " LIMIT 1", (start,)).fetchone()
                    except DAMAGE:
                        break
                    if row is None:  # the read-ahead's failure was past the last row
                        return gaps
                    sink([row[1:]])
                    start = row[0] + 1
                lost, floor = start, start + 1
            else:  # a run's rows share the key: the rest of run `last` is lost
                lost = start if last is None else last
                floor = lost + 1
            resume = _resume_from(db, select, floor)
            gaps.append((table, lost, None if resume is None else max(lost, resume - 1), exc))
            if resume is None:
                return gaps
            start = resume


def _resume_from(db: sqlite3.Connection, select: str, floor: int) -> int | None:
    """The lowest key from `floor` on where the scan `select` can start reading again
    (doubling the step past the damage, then halving back), or None when there is none."""

    def readable(start: int) -> bool:
        try:
            db.execute(select + " LIMIT 1", (start,)).fetchall()
            return True
        except DAMAGE:
            return False

    if readable(floor):
        return floor
    step = 1
    while not readable(floor + step):
        step *= 2
        if floor + step > _LAST_KEY:
            return None
    low, high = floor + step // 2, floor + step  # low unreadable, high readable
    while high - low > 1:
        middle = (low + high) // 2
        if readable(middle):
            high = middle
        else:
            low = middle
    return high


def _run_names(db: sqlite3.Connection) -> dict[int, str]:
    """{pk: entity/project/id} of the runs in the store's index of them, as far as it is
    readable: names for the runs whose own rows are lost."""
    names: dict[int, str] = {}
    try:
        for pk, *path in db.execute(
            "SELECT pk, entity, project, run_id FROM runs INDEXED BY sqlite_autoindex_runs_1"
        ):
            names[pk] = "/".join(path)
    except DAMAGE:
        pass
    return names


def _runs_between(names: dict[int, str], first: int, last: int | None) -> str:
    found = [names[pk] for pk in sorted(names) if first <= pk and (last is None or pk <= last)]
    span = f"pk {first}" if first == last else f"pk {first} to {last or 'the last'}"
    return f"{span} ({', '.join(found)})" if found else span


def _describe(gap: Gap, names: dict[int, str]) -> str:
    table, first, last, exc = gap
    first = max(first, 1)
    if table == "meta":
        what = "the store's origin (a `runcard sync` will send its runs as a new store's)"
    elif table == "run_counters":
        what = "the run counters (new run names are numbered again from the runs kept)"
    elif table == "runs":
        what = f"the rows of runs {_runs_between(names, first, last)}"
    elif table == "revisions":
        what = f"revision rows pk {first} to {last or 'the last'}"
    elif table in ("history_chunks", "history_columns"):
        what = f"part of the history of runs {_runs_between(names, first, last)}"
    else:
        what = f"rows of runs {_runs_between(names, first, last)}"
    return f"{table}: {what} unreadable ({brief(exc)})"


def _tidy(db: sqlite3.Connection, names: dict[int, str]) -> list[str]:
    """Delete what belongs to runs whose own row was lost (nothing can show it), and count the
    runs of projects whose counter was lost."""
    db.execute("INSERT OR IGNORE INTO run_counters SELECT project, count(*) FROM runs GROUP BY 1")
    lost = []
    for table, _ in TABLES[3:]:
        orphan = f"FROM {table} WHERE run_pk NOT IN (SELECT pk FROM runs)"
        orphans = [row[0] for row in db.execute(f"SELECT DISTINCT run_pk {orphan} ORDER BY 1")]
        if orphans:
            db.execute(f"DELETE {orphan}")
            runs = ", ".join(names.get(pk, f"pk {pk}") for pk in orphans)
            lost.append(f"{table}: dropped, as their runs were lost: the rows of {runs}")
    return lost


def _read_runs(root: str, report: Report) -> list[str]:
    """Read every run through the store as the Api does; what cannot be read."""
    problems: list[str] = []
    try:
        store = SQLiteStore(root, create=False)
    except StoreError as exc:
        return [str(exc)]
    try:
        try:
            runs = store.query_runs(None, None, None, "created_at")
        except StoreError as exc:
            return [f"the runs cannot be listed ({brief(exc.__cause__ or exc)})"]
        report.runs = len(runs)
        for run in runs:
            problems += _read_run(store, run)
    finally:
        store.close()
    return problems


def _read_run(store: SQLiteStore, run: dict[str, Any]) -> list[str]:
    where = f"run {run['entity']}/{run['project']}/{run['run_id']}"
    problems = []
    for document in ("config", "summary", "descriptions", "host"):
        try:
            loads(run[document])
        except ValueError as exc:
            problems.append(f"{where}: its {document} cannot be read ({brief(exc)})")
    reads: list[tuple[str, Callable[[], Any]]] = [
        ("config revisions", lambda: store.revisions(run["pk"], "config")),
        ("summary revisions", lambda: store.revisions(run["pk"], "summary")),
        ("field revisions", lambda: store.revisions(run["pk"], "run")),
        ("history", lambda: store.history(run["pk"])),
    ]
    for what, read in reads:
        try:
            read()
        except StoreError as exc:
            problems.append(f"{where}: its {what} cannot be read ({brief(exc.__cause__ or exc)})")
    return problems
