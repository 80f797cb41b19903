"""A store file with damaged pages: clear errors naming the file, `runcard doctor` to find the
damage, and `runcard doctor --repair` to copy everything readable into a fresh store."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import runcard
from runcard import _process

pytestmark = pytest.mark.sqlite_only  # damaged SQLite files; PostgreSQL keeps its own pages


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", *args], capture_output=True, text=True, timeout=120
    )


def make_runs(count: int = 24, rows: int = 1500) -> dict[str, list[dict[str, Any]]]:
    """Runs with config, summary and history; their histories as stored, by path."""
    for i in range(count):
        with runcard.init(project="p", config={"lr": i / 100, "pad": "x" * 300}) as run:
            for step in range(rows):
                run.log({"loss": 1 / (step + 1), "acc": step * i})
    _close_kept_connections()
    return {run.path: run.history(pandas=False) for run in runcard.Api().runs("p")}


def _close_kept_connections() -> None:
    _process.process.kept_connections.close_all()


def damage(db_path: Path, table: str, at: float = 0.5) -> int:
    """Overwrite a leaf page of `table` (the one `at` of the way through its leaves) with
    random bytes; its page number."""
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        row[0]
        for row in db.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        )
    ]
    db.close()
    assert len(pages) > 2, f"{table} fits in {len(pages)} pages: log more"
    page = pages[int(len(pages) * at)]
    with open(db_path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(random.Random(page).randbytes(size))
    return page


def readable_runs(db_path: Path) -> set[str]:
    """The runs whose own row SQLite can still read, looked up one by one."""
    db = sqlite3.connect(db_path)
    found = set()
    for (pk,) in db.execute("SELECT pk FROM runs INDEXED BY runs_by_id").fetchall():
        try:
            row = db.execute(
                "SELECT entity, project, run_id FROM runs WHERE pk = ?", (pk,)
            ).fetchone()
            found.add("/".join(row))
        except sqlite3.DatabaseError:
            pass
    db.close()
    return found


def test_a_damaged_runs_page_is_a_store_error_naming_the_file(store_dir: Path) -> None:
    histories = make_runs()
    db_path = store_dir / "runcard.db"
    damage(db_path, "runs")
    lost = sorted(set(histories) - readable_runs(db_path))
    assert lost, "the damaged page held no run"
    for args in (("runs",), ("runs", "p"), ("show", lost[0])):
        result = cli(*args)
        assert result.returncode == 3, (args, result.stderr)
        assert str(db_path) in result.stderr and "Traceback" not in result.stderr
        assert "runcard doctor" in result.stderr
    with pytest.raises(runcard.StoreError, match=str(db_path)):
        list(runcard.Api().runs("p"))  # the runs are read when iterated


def test_a_damaged_history_page_is_a_store_error_from_history(store_dir: Path) -> None:
    histories = make_runs()
    db_path = store_dir / "runcard.db"
    damage(db_path, "history_columns")
    failed = 0
    for path, rows in histories.items():
        try:
            assert runcard.Api().run(path).history(pandas=False) == rows
        except runcard.StoreError as exc:
            assert str(db_path) in str(exc)
            failed += 1
    assert 0 < failed < len(histories)


def test_doctor_says_a_healthy_store_is_healthy(store_dir: Path) -> None:
    make_runs(count=3, rows=10)
    result = cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "healthy (3 runs)" in result.stdout


def test_doctor_finds_damage_and_repair_copies_every_readable_run(store_dir: Path) -> None:
    histories = make_runs()
    db_path = store_dir / "runcard.db"
    origin = runcard.Api()._open().origin()
    damage(db_path, "runs")
    damage(db_path, "history_columns", at=0.2)  # other runs than those of the runs page
    lost = set(histories) - readable_runs(db_path)

    check = cli("doctor")
    assert check.returncode == 3 and "Traceback" not in check.stderr
    assert "integrity check" in check.stdout and "the store is damaged" in check.stdout
    assert all(path in check.stdout for path in lost)  # named, though their rows are gone

    repair = cli("doctor", "--repair")
    assert repair.returncode == 3, repair.stdout + repair.stderr  # not everything was copied
    assert "not copied: runs:" in repair.stdout and "not copied: history_columns:" in repair.stdout
    assert f"{len(histories) - len(lost)} runs copied" in repair.stdout
    kept = [name for name in os.listdir(store_dir) if name.startswith("runcard.db.damaged-")]
    assert kept and any(name.endswith(tuple("0123456789")) for name in kept)

    listed = cli("runs", "p", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    copied = {f"{run['entity']}/{run['project']}/{run['id']}" for run in json.loads(listed.stdout)}
    assert copied == set(histories) - lost
    api = runcard.Api()
    whole = [path for path in copied if api.run(path).history(pandas=False) == histories[path]]
    partial = copied - set(whole)
    assert partial and len(whole) > len(copied) // 2  # one damaged page: a few runs' history
    for path in partial:  # every row kept, with the values whose pages were readable
        rows = api.run(path).history(pandas=False)
        assert len(rows) == len(histories[path])
        assert all(
            row.items() <= old.items() for row, old in zip(rows, histories[path], strict=True)
        )
        assert path in repair.stdout
    assert api._open().origin() == origin  # a later `runcard sync` sends nothing twice

    after = cli("doctor")
    assert after.returncode == 0 and "healthy" in after.stdout, after.stdout


def test_doctor_on_a_file_that_is_not_a_database_exits_3(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "runcard.db").write_bytes(b"this is not a database" * 100)
    check = cli("doctor", "--dir", str(broken))
    assert check.returncode == 3 and "not a database" in check.stdout
    assert "Traceback" not in check.stderr
    repair = cli("doctor", "--repair", "--dir", str(broken))
    assert repair.returncode == 3 and "0 runs copied" in repair.stdout, repair.stderr
    assert cli("runs", "--dir", str(broken)).returncode == 1  # an empty store now: no runs


def test_a_damaged_long_value_is_found_and_only_its_run_is_lost(store_dir: Path) -> None:
    for i in range(5):  # configs longer than a page: their ends in overflow pages
        runcard.init(project="p", config={"lr": i, "pad": "x" * 20_000}).finish()
    _close_kept_connections()
    paths = {run.path for run in runcard.Api().runs("p")}
    db_path = store_dir / "runcard.db"
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = db.execute(
        "SELECT pageno FROM dbstat WHERE name = 'runs' AND pagetype = 'overflow' LIMIT 1 OFFSET 6"
    ).fetchone()[0]
    db.close()
    with open(db_path, "r+b") as f:  # past the page's link to the next: text that is not UTF-8
        f.seek((page - 1) * 4096 + 4)
        f.write(b"\xff\xfe damaged " * 100)

    listed = cli("runs")
    assert listed.returncode == 3 and str(db_path) in listed.stderr, listed.stderr
    assert len(listed.stderr) < 1000  # SQLite quotes the whole value: cut short
    check = cli("doctor")
    assert check.returncode == 3 and "unreadable" in check.stdout, check.stdout
    repair = cli("doctor", "--repair")
    assert "4 runs copied" in repair.stdout, repair.stdout + repair.stderr
    copied = {run.path for run in runcard.Api().runs("p")}
    assert len(copied) == 4 and copied < paths
    assert (paths - copied).pop() in repair.stdout


def test_repair_of_a_healthy_store_copies_everything_and_names_a_live_run(
    store_dir: Path,
) -> None:
    histories = make_runs(count=3, rows=2000)
    repaired = cli("doctor", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "3 runs copied" in repaired.stdout and "not copied" not in repaired.stdout
    api = runcard.Api()
    assert {path: api.run(path).history(pandas=False) for path in histories} == histories

    live = runcard.init(project="p")
    live.log({"loss": 1.0})
    repaired = cli("doctor", "--repair")
    assert repaired.returncode == 3
    assert f"run {live.path} is live: what it writes from now on goes to the old file" in (
        repaired.stdout
    )
    kept = [name for name in os.listdir(store_dir) if name.endswith(tuple("0123456789"))]
    assert len(kept) == 2  # each repair's old file, however close together
    assert not [name for name in os.listdir(store_dir) if name.startswith(".repair")]
