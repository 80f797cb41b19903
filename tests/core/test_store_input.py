"""What reaches a store from outside: Api edits (SQL in field names and values), runs created by
many processes at once, and values stored that no reader can show. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import runcard
from runcard._store import open_store

HOSTILE_FIELDS = [
    "notes = (SELECT group_concat(name) FROM sqlite_master) --",
    "notes = pg_read_file('/etc/hostname') WHERE pk = %s OR pk <> %s --",
    "notes = (SELECT version()) WHERE pk = ? OR pk <> ? --",
    "state",  # a column, but not one an edit may change
    "group_name",
    "created_at",
]


def finished_run(run_id: str, **kwargs: Any) -> runcard.Run:
    run = runcard.init(project="p", id=run_id, **kwargs)
    run.log({"loss": 0.5})
    run.finish()
    return run


def test_an_edit_stores_sql_in_its_values_as_text(api: runcard.Api) -> None:
    finished_run("r1", notes="kept")
    run = api.run("p/r1")
    hostile = "x', notes = (SELECT 'pwned') --"
    run.name = hostile
    run.tags = ["t'); DROP TABLE runs; --", 'q" OR "1"="1']
    run.notes = "n'); UPDATE runs SET state = 'failed'; --"
    run.group = "g' --"
    run.update()
    again = runcard.Api(dir=os.environ["RUNCARD_DIR"]).run("p/r1")
    assert again.name == hostile
    assert again.tags == ["t'); DROP TABLE runs; --", 'q" OR "1"="1']
    assert again.notes == "n'); UPDATE runs SET state = 'failed'; --"
    assert again.group == "g' --"
    assert again.state == "finished"


@pytest.mark.parametrize(
    ("attribute", "value", "field"),
    [
        ("tags", "not-a-list", "tags"),
        ("tags", ["ok", 3], "tags"),
        ("tags", ["x" * 5000], "tags"),
        ("tags", ["t"] * 2000, "tags"),
        ("name", 5, "name"),
        ("name", "", "name"),
        ("name", "n" * 5000, "name"),
        ("notes", {"a": 1}, "notes"),
        ("notes", "n" * 1_000_001, "notes"),
        ("group", ["g"], "group"),
        ("job_type", 1e300, "job_type"),
    ],
)
def test_an_edit_with_a_bad_value_is_refused_naming_the_field(
    api: runcard.Api, attribute: str, value: Any, field: str
) -> None:
    finished_run("r1", tags=["a"], notes="kept", group="g")
    run = api.run("p/r1")
    name = run.name
    setattr(run, attribute, value)
    with pytest.raises(runcard.UsageError, match=f"'{field}'"):
        run.update()
    again = runcard.Api(dir=os.environ["RUNCARD_DIR"]).run("p/r1")
    assert (again.tags, again.notes, again.group, again.name) == (["a"], "kept", "g", name)


@pytest.mark.parametrize("field", HOSTILE_FIELDS)
def test_a_store_edit_takes_no_field_name_outside_the_editable_ones(
    store_dir: Path | str, field: str
) -> None:
    """What a server's /api/v1/store/edit_run passes on: field names straight from a client."""
    finished_run("r1", notes="kept")
    store = open_store(str(store_dir))
    pk = store.find_run(None, "p", "r1")["pk"]  # type: ignore[index]
    with pytest.raises(runcard.UsageError, match="cannot be edited"):
        store.edit_run(pk, {field: "x"}, [], [])
    with pytest.raises(runcard.UsageError, match="'tags'"):
        store.edit_run(pk, {"tags": "x"}, [], [])
    store.close()
    run = runcard.Api(dir=os.environ["RUNCARD_DIR"]).run("p/r1")
    assert (run.notes, run.state, run.group, run.tags) == ("kept", "finished", None, [])


# -- many processes creating one run -------------------------------------------------------------
PROCESSES = 12


def _join_and_log(store: str, index: int, ready: Any, go: Any, results: Any) -> None:
    os.environ["RUNCARD_DIR"] = store
    ready.put(index)
    go.wait(60)
    try:
        run = runcard.init(project="p", id="shared", resume="allow", config={"lr": 0.1})
        run.log({f"rank{index}": index})
        run.finish()
        results.put((index, "ok"))
    except BaseException as exc:  # reported, so the test names what each rank raised
        results.put((index, f"{type(exc).__module__}.{type(exc).__name__}: {exc}"))


def test_processes_released_at_once_all_create_or_join_one_run(store_dir: Path | str) -> None:
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    ranks = [
        context.Process(target=_join_and_log, args=(str(store_dir), i, ready, go, results))
        for i in range(PROCESSES)
    ]
    for rank in ranks:
        rank.start()
    for _ in ranks:  # all imported runcard and wait at the line
        ready.get(timeout=120)
    go.set()
    outcomes = dict(results.get(timeout=120) for _ in ranks)
    for rank in ranks:
        rank.join(60)
    assert outcomes == {i: "ok" for i in range(PROCESSES)}
    runs = runcard.Api(dir=str(store_dir)).runs("p")
    assert [run.id for run in runs] == ["shared"]
    assert runs[0].config == {"lr": 0.1}
    assert set(runs[0].summary) >= {f"rank{i}" for i in range(PROCESSES)}


# -- a value stored that no reader can show ------------------------------------------------------
def poison(store: Path | str, run_id: str, assignments: str) -> None:
    """Write `assignments` (SQL) into a run's row by hand, as no runcard version would."""
    sql = f"UPDATE runs SET {assignments} WHERE run_id = '{run_id}'"
    if isinstance(store, Path):
        with sqlite3.connect(store / "runcard.db") as db:
            db.execute(sql)
        return
    import psycopg

    with psycopg.connect(store, autocommit=True) as db:  # the URL names the store's schema
        db.execute(sql)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", *args], capture_output=True, text=True, timeout=60
    )


def test_a_bad_value_stored_never_breaks_reading_the_other_runs(store_dir: Path | str) -> None:
    for run_id in ("good", "bad", "tagged"):
        finished_run(run_id, tags=["a"])
    if isinstance(store_dir, Path):
        poison(store_dir, "bad", "created_at = 1e300, finished_at = 'soon', heartbeat_at = -1e300")
        poison(store_dir, "tagged", "tags = '[broken', exit_code = 1e300")
    else:
        poison(store_dir, "bad", "created_at = 1e300, finished_at = 'Infinity'")
        poison(store_dir, "tagged", "tags = '{\"a\": 1}'::jsonb, heartbeat_at = '-Infinity'")

    runs = {run.id: run for run in runcard.Api(dir=str(store_dir)).runs("p")}
    assert set(runs) == {"good", "bad", "tagged"}
    assert runs["good"].created_at is not None and runs["good"].tags == ["a"]
    assert (runs["bad"].created_at, runs["bad"].finished_at) == (None, None)
    assert runs["tagged"].tags == []

    listed = cli("runs", "p", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert {row["id"] for row in json.loads(listed.stdout)} == {"good", "bad", "tagged"}
    table = cli("runs", "p")
    assert table.returncode == 0, table.stderr
    assert "good" in table.stdout and "bad" in table.stdout
    for run_id in ("good", "bad", "tagged"):
        shown = cli("show", f"p/{run_id}")
        assert shown.returncode == 0, shown.stderr
        assert run_id in shown.stdout


@pytest.mark.parametrize(
    ("argument", "value"),
    [("name", "n" * 5000), ("tags", ["t" * 5000]), ("notes", "n" * 1_000_001), ("group", 7)],
)
def test_init_refuses_a_field_a_server_would_refuse_and_keeps_the_current_run(
    api: runcard.Api, argument: str, value: Any
) -> None:
    current = runcard.init(project="p", id="current")
    with pytest.raises(runcard.UsageError, match=f"'{argument}'"):
        runcard.init(project="p", id="refused", **{argument: value})
    assert runcard.run is current and not current._finished
    current.finish()
    assert [run.id for run in api.runs("p")] == ["current"]
