"""What a client may write through the server: field names never reach SQL, field values are
checked (a 400 naming the field), and a bad value already stored breaks no read of the others.
Each test runs against a server on the test's store (PostgreSQL in the server env) and one on a
SQLite store."""

from __future__ import annotations

import json
import signal
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import Server

import runcard

SQL_IN_FIELD_NAMES = [
    # each a working injection on main: the rest of the statement still binds its two values
    "notes = pg_read_file('/etc/hostname'), name",
    "notes = (SELECT group_concat(name) FROM sqlite_master), name",
    "notes = (SELECT string_agg(usename, ',') FROM pg_user), name",
    "state",
]


@pytest.fixture(params=["test-store", "sqlite"])
def served(request: Any, server_store: str, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    store = server_store if request.param == "test-store" else str(tmp_path / "sqlite-store")
    running = Server(store).start()
    yield running, store
    running.stop(signal.SIGTERM)


def post(url: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def pushed(path_id: str = "r1", **fields: Any) -> dict[str, Any]:
    run = {
        "entity": "e",
        "project": "p",
        "run_id": path_id,
        "name": "n",
        "group_name": None,
        "job_type": None,
        "notes": "kept",
        "mode": "online",
        "state": "finished",
        "exit_code": 0,
        "created_at": 1.7e9,
        "finished_at": 1.7e9 + 2,
        "heartbeat_at": 1.7e9 + 2,
        "heartbeat_interval": 10.0,
        "tags": ["a"],
        "summary": {},
        "descriptions": {},
        "host": {},
        **fields,
    }
    return {"origin": "o", "sent_at": 1.7e9 + 2, "run": run, "revisions": [], "chunks": []}


def web_runs(server: Server) -> list[dict[str, Any]]:
    with urllib.request.urlopen(server.url + "/api/runs?project=p", timeout=30) as answer:
        assert answer.status == 200
        rows: list[dict[str, Any]] = json.loads(answer.read())["runs"]
        return rows


def test_edit_run_takes_no_sql_in_field_names(served: tuple[Server, str]) -> None:
    server, store = served
    assert post(server.url + "/api/v1/push", pushed())[0] == 200
    status, row = post(
        server.url + "/api/v1/store/find_run", {"entity": "e", "project": "p", "run_id": "r1"}
    )
    assert status == 200
    for field in SQL_IN_FIELD_NAMES:
        edit = {"pk": row["pk"], "fields": {field: "x"}, "revisions": [], "summary_revisions": []}
        status, answer = post(server.url + "/api/v1/store/edit_run", edit)
        assert status == 400, answer
        assert "cannot be edited" in answer["error"] and repr(field) in answer["error"]
    for field, value in (("tags", "x"), ("tags", [1]), ("name", {"a": 1}), ("notes", 5)):
        edit = {"pk": row["pk"], "fields": {field: value}, "revisions": [], "summary_revisions": []}
        status, answer = post(server.url + "/api/v1/store/edit_run", edit)
        assert status == 400, answer
        assert repr(field) in answer["error"]
    run = runcard.Api(dir=store).run("e/p/r1")
    assert (run.notes, run.name, run.state, run.tags) == ("kept", "n", "finished", ["a"])


def test_an_api_edit_over_the_server_stores_sql_as_text_and_refuses_bad_values(
    served: tuple[Server, str],
) -> None:
    server, store = served
    assert post(server.url + "/api/v1/push", pushed())[0] == 200
    remote = runcard.Api(url=server.url).run("e/p/r1")
    remote.name = "x', notes = pg_read_file('/etc/hostname') --"
    remote.tags = ["t'); DROP TABLE runs; --"]
    remote.update()
    remote.tags = "not a list"
    with pytest.raises(runcard.UsageError, match="'tags'"):
        remote.update()
    run = runcard.Api(dir=store).run("e/p/r1")
    assert run.name == "x', notes = pg_read_file('/etc/hostname') --"
    assert (run.notes, run.tags) == ("kept", ["t'); DROP TABLE runs; --"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", 1e300),
        ("created_at", -5.0),
        ("finished_at", float("nan")),
        ("heartbeat_at", float("inf")),
        ("heartbeat_interval", -1.0),
        ("exit_code", 2**70),
        ("exit_code", True),
        ("state", "pwned"),
        ("mode", 3),
        ("tags", [1, 2]),
        ("tags", "abc"),
        ("name", "n" * 5000),
        ("notes", "n" * 1_000_001),
        ("run_id", ""),
        ("summary", [1]),
    ],
)
def test_a_push_with_a_bad_field_gets_400_naming_it(
    served: tuple[Server, str], field: str, value: Any
) -> None:
    server, _ = served
    assert post(server.url + "/api/v1/push", pushed("good"))[0] == 200
    status, answer = post(server.url + "/api/v1/push", pushed("bad", **{field: value}))
    assert status == 400, answer
    assert repr(field) in answer["error"]
    assert [row["path"] for row in web_runs(server)] == ["e/p/good"]
    assert [run.path for run in runcard.Api(url=server.url).runs()] == ["e/p/good"]


def test_a_push_sent_at_an_impossible_time_gets_400(served: tuple[Server, str]) -> None:
    server, _ = served
    status, answer = post(server.url + "/api/v1/push", {**pushed(), "sent_at": 1e300})
    assert status == 400 and "'sent_at'" in answer["error"]


def poison(store: str, run_id: str, assignments: str) -> None:
    """Write `assignments` (SQL) into a run's row by hand, as no runcard version would."""
    sql = f"UPDATE runs SET {assignments} WHERE run_id = '{run_id}'"
    if not store.startswith("postgresql://"):
        with sqlite3.connect(Path(store) / "runcard.db") as db:
            db.execute(sql)
        return
    import psycopg

    with psycopg.connect(store, autocommit=True) as db:  # the URL names the store's schema
        db.execute(sql)


def test_a_bad_value_stored_breaks_no_read_of_the_other_runs(served: tuple[Server, str]) -> None:
    server, store = served
    for run_id in ("good", "bad"):
        assert post(server.url + "/api/v1/push", pushed(run_id))[0] == 200
    poison(store, "bad", "created_at = 1e300, heartbeat_at = -1e300, finished_at = 1e300")
    assert sorted(row["path"] for row in web_runs(server)) == ["e/p/bad", "e/p/good"]
    runs = {run.id: run for run in runcard.Api(url=server.url).runs()}
    assert runs["bad"].created_at is None and runs["bad"].finished_at is None
    assert runs["good"].created_at == "2023-11-14T22:13:20+00:00"
    with urllib.request.urlopen(server.url + "/api/run/e/p/bad", timeout=30) as answer:
        assert json.loads(answer.read())["created_at"] is None


def test_a_run_that_never_beats_is_pushed_and_read_back(served: tuple[Server, str]) -> None:
    """RUNCARD_HEARTBEAT_SECONDS=inf: the interval travels as JSON's Infinity, is stored, and
    reading the server's runs must not fail on it."""
    server, _ = served
    assert post(server.url + "/api/v1/push", pushed("good"))[0] == 200
    assert post(server.url + "/api/v1/push", pushed("endless", heartbeat_interval=1e999))[0] == 200
    runs = runcard.Api(url=server.url).runs()
    assert sorted(run.path for run in runs) == ["e/p/endless", "e/p/good"]
    assert sorted(row["path"] for row in web_runs(server)) == ["e/p/endless", "e/p/good"]
