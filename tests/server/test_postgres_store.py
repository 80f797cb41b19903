"""The PostgreSQL store under load and attack: new schemas raced by processes, many processes
logging into one run, hostile filters, locks and dropped connections, a server that is not there.
Each test has a schema of its own on the session's throwaway server (RUNCARD_TEST_POSTGRES=1)."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import pg_server
import runcard

pytestmark = pytest.mark.skipif(
    not pg_server.ENABLED, reason="needs PostgreSQL: RUNCARD_TEST_POSTGRES=1 (tox -e server)"
)

if pg_server.ENABLED:
    import psycopg


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
    )


def finish_all(procs: list[subprocess.Popen[str]], timeout: float) -> list[str]:
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        outputs.append(out)
    return outputs


OPEN_AT = """
import sys, time
from runcard._store import _postgres, open_store  # psycopg imported before the start line
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
store = open_store(sys.argv[1])
store.close()
"""


def test_processes_opening_a_new_schema_at_once_apply_each_migration_once(
    make_store: Callable[[str], Path | str],
) -> None:
    from runcard._store._pg_schema import VERSION

    url = str(make_store("fresh"))
    at = time.time() + 2.0  # every process imported and waiting: they open it together
    finish_all([run_python(OPEN_AT, url, str(at)) for _ in range(8)], timeout=60)
    with psycopg.connect(url) as db:
        applied = db.execute(
            "SELECT version, count(*), count(DISTINCT applied_at) FROM runcard_schema"
            " GROUP BY version ORDER BY version"
        ).fetchall()
    assert applied == [(version, 1, 1) for version in range(1, VERSION + 1)]
    with runcard.init(project="after", dir=url) as run:
        run.log({"ok": 1})
    assert runcard.Api(dir=url).run(run.path).summary == {"ok": 1}


LOGGER = """
import sys, runcard
writer = int(sys.argv[1])
run = runcard.init(project="many", id="shared", resume="allow")
for i in range(5000):
    run.log({"writer": writer, "i": i, f"last_{writer}": i})
run.finish()
"""


def test_sixteen_processes_logging_into_one_run_store_every_point_once() -> None:
    runcard.init(project="many", id="shared").finish()
    finish_all([run_python(LOGGER, str(n)) for n in range(16)], timeout=300)
    stored = runcard.Api().run("many/shared")
    rows = stored.history(pandas=False)
    seen = Counter((row["writer"], row["i"]) for row in rows)
    assert len(rows) == 16 * 5000
    assert seen == Counter({(writer, i): 1 for writer in range(16) for i in range(5000)})
    # each writer merged its summary into the others': none of the merges was lost
    assert {f"last_{writer}": 4999 for writer in range(16)}.items() <= stored.summary.items()


def test_hostile_filter_keys_and_values_match_nothing_and_leave_the_tables_alone(
    store_dir: str,
) -> None:
    for lr in (0.1, 0.01):
        runcard.init(project="p", config={"x": 1, "opt": "adam", "lr": lr}, tags=["t"]).finish()
    api = runcard.Api()
    for filters in [
        {"config.x'); DROP TABLE runs;--": 1},
        {'config.x"); DROP TABLE runs;--': {"$exists": True}},
        {"config.x": "1'); DROP TABLE runs;--"},
        {"config.opt": {"$regex": "^adam' OR '1'='1"}},
        {"config.opt": {"$regex": '^adam" OR "1"="1'}},
        {"summary.acc": {"$gt": "0; DELETE FROM runs"}},
        {"config.lr": {"$in": ["0.1) OR (1=1", "'; TRUNCATE runs;--"]}},
        {"name": "x' OR '1'='1"},
        {"exit_code": "0; DROP TABLE history_chunks"},
        {"tags": "t'); DROP TABLE runs;--"},
    ]:
        assert api.runs("p", filters=filters) == [], filters
    with pytest.raises(runcard.UsageError, match="regular expression"):
        len(api.runs("p", filters={"config.opt": {"$regex": "a'); DROP TABLE runs;--"}}))
    assert len(api.runs("p", order="-config.x'); DROP TABLE runs;--")) == 2
    assert {r.config["lr"] for r in api.runs("p", filters={"config.opt": "adam"})} == {0.1, 0.01}
    with psycopg.connect(store_dir) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (2,)


RUNS = [
    {
        "id": "r1",
        "config": {"lr": 0.1, "opt": "adam", "depth": 3, "flag": True, "drop": None},
        "more": {"model": {"w": 2}, "layers": [1, 2], "a.b": 5},
        "tags": ["base"],
        "summary": {"acc": 0.9, "loss": 1.5},
    },
    {
        "id": "r2",
        "config": {"lr": 0.01, "opt": "sgd", "depth": 1, "flag": False},
        "more": {"model": {"w": "wide"}, "layers": [3]},
        "tags": ["base", "x"],
        "summary": {"acc": 0.8},
    },
    {
        "id": "r3",
        "config": {"lr": 1, "opt": "Adam", "depth": "3", "flag": 1, "drop": 0.5},
        "more": {"model": 7},
        "tags": [],
        "summary": {"acc": "n/a"},
    },
    {"id": "r4", "config": {"lr": 1e20, "opt": None, "inf": math.inf}, "exit_code": 2},
    {"id": "r5", "config": {}, "summary": {"acc": 0.85, "loss": -math.inf}},
]
FILTERS = [
    {"config.lr": 0.1},
    {"config.lr": 1},
    {"config.lr": {"$gt": 0.05}},
    {"config.lr": {"$lte": 1}},
    {"config.lr": {"$gt": 1e19}},
    {"config.opt": "adam"},
    {"config.opt": {"$regex": "^[Aa]d"}},
    {"config.opt": None},
    {"config.opt": {"$ne": None}},
    {"config.opt": {"$ne": "adam"}},
    {"config.opt": {"$in": ["adam", "sgd", None]}},
    {"config.opt": {"$nin": ["adam"]}},
    {"config.opt": {"$gte": "Adam", "$lt": "b"}},
    {"config.depth": 3},
    {"config.depth": "3"},
    {"config.depth": {"$gte": 2}},
    {"config.depth": {"$gt": "2"}},
    {"config.flag": True},
    {"config.flag": 1},
    {"config.flag": 0},
    {"config.flag": {"$gt": 0}},
    {"config.drop": None},
    {"config.drop": {"$exists": True}},
    {"config.drop": {"$exists": False}},
    {"config.model.w": 2},
    {"config.model.w": {"$exists": True}},
    {"config.model": 7},
    {"config.a.b": 5},
    {"config.layers": [1, 2]},
    {"config.layers.0": 1},
    {"config.inf": math.inf},
    {"summary.acc": {"$gt": 0.85}},
    {"summary.acc": {"$lt": "z"}},
    {"summary.loss": {"$exists": False}},
    {"summary.loss": {"$lt": -1e308}},
    {"tags": "base"},
    {"tags": {"$ne": "x"}},
    {"tags": {"$in": ["x", "y"]}},
    {"tags": {"$nin": ["base"]}},
    {"state": "failed"},
    {"state": {"$in": ["finished"]}},
    {"exit_code": 2},
    {"exit_code": None},
    {"exit_code": "2"},
    {"exit_code": {"$gte": 1}},
    {"name": {"$regex": "^n[12]"}},
    {"name": "n1"},
    {"id": "r1"},
    {"$or": [{"config.lr": 0.1}, {"summary.acc": "n/a"}]},
    {"$and": [{"config.opt": {"$exists": True}}, {"config.lr": {"$lt": 1}}]},
    {"created_at": {"$gt": 0}},
]
ORDERS = [None, "config.lr", "-config.lr", "config.opt", "-config.opt", "config.depth"]
ORDERS += ["-config.flag", "summary.acc", "-summary.acc", "name", "-exit_code", "config.model.w"]
KEYS = ["config.lr", "config.model.w", "config.a.b", "config.layers", "config.inf", "summary"]


@pytest.mark.filterwarnings("ignore:config key 'a.b' contains a dot")
def test_every_filter_order_and_projection_reads_as_on_sqlite(tmp_path: Path) -> None:
    stores = {"sqlite": str(tmp_path / "sqlite"), "postgresql": os.environ["RUNCARD_DIR"]}
    for store in stores.values():
        for spec in RUNS:
            config = {**spec["config"], **spec.get("more", {})}
            run = runcard.init(
                project="p", dir=store, id=spec["id"], name=f"n{spec['id'][1]}",
                config=config, tags=spec.get("tags"),
            )  # fmt: skip
            run.log(spec.get("summary", {}))
            run.finish(exit_code=spec.get("exit_code"))
    apis = {kind: runcard.Api(dir=store) for kind, store in stores.items()}

    def read(kind: str, **query: object) -> list[tuple[str, object, object]]:
        runs = apis[kind].runs("p", **query)  # type: ignore[arg-type]
        return [(r.id, r.config, r.summary) for r in runs]

    for filters in FILTERS:
        assert read("postgresql", filters=filters) == read("sqlite", filters=filters), filters
    for order in ORDERS:
        assert read("postgresql", order=order) == read("sqlite", order=order), order
    assert read("postgresql", keys=KEYS) == read("sqlite", keys=KEYS)


def test_the_clis_regular_expressions_read_alike_in_postgresql() -> None:
    from runcard._filters import parse_filters

    for opt in ("adam", "sgd"):
        runcard.init(project="p", config={"opt": opt}).finish()
    for expression, expected in [
        ("config.opt~^ad", {"adam"}),
        ("config.opt!~^ad", {"sgd"}),
        ("config.opt~(?i)^AD", {"adam"}),
        ("config.opt!~(?i)^AD", {"sgd"}),  # written (?s)(?i)...: one group for PostgreSQL
        ("name~.", {"adam", "sgd"}),
    ]:
        runs = runcard.Api().runs("p", filters=parse_filters([expression]))
        assert {r.config["opt"] for r in runs} == expected, expression


def test_documents_keep_their_key_order_and_number_types_and_filter_by_them() -> None:
    config = {
        "zeta": 1,
        "alpha": {"second": 2, "first": 1},
        "big": 1e20,
        "huge": 10**20,
        "inf": math.inf,
        "tiny": 5e-324,
        "sum": 0.1 + 0.2,
        "flag": True,
    }
    runcard.init(project="p", config=config).finish()
    saved = runcard.Api().runs("p")[0].config
    assert list(saved) == list(config) and list(saved["alpha"]) == ["second", "first"]
    assert {k: (v, type(v)) for k, v in saved.items()} == {
        k: (v, type(v)) for k, v in config.items()
    }
    for key, value in config.items():
        if key != "alpha":
            assert len(runcard.Api().runs("p", filters={f"config.{key}": value})) == 1, key
    assert runcard.Api().runs("p", filters={"config.big": {"$gt": 1e19}})
    projected = runcard.Api().runs("p", keys=["config.big", "config.inf", "config.alpha.first"])
    assert projected[0].config == {"big": 1e20, "inf": math.inf, "alpha": {"first": 1}}


def test_a_table_locked_by_another_session_delays_writes_and_loses_nothing(
    store_dir: str,
) -> None:
    run = runcard.init(project="locked")
    with psycopg.connect(store_dir) as holder:
        holder.execute("LOCK TABLE runs IN EXCLUSIVE MODE")  # held until commit
        for i in range(5000):
            run.log({"i": i})
        time.sleep(0.3)
        assert runcard.Api().run(run.path).history(pandas=False) == []  # the writer waits
        holder.commit()
    run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    assert [r["i"] for r in rows] == list(range(5000))


def test_a_run_carries_on_over_its_connection_being_dropped(store_dir: str) -> None:
    run = runcard.init(project="dropped")
    for i in range(2000):
        run.log({"i": i})
    time.sleep(0.2)
    with psycopg.connect(store_dir, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
            " current_database() AND pid <> pg_backend_pid() AND application_name <> %s",
            (pg_server.HARNESS,),
        )
    with pytest.warns(RuntimeWarning, match="could not write to its store"):
        for i in range(2000, 4000):
            run.log({"i": i})
        run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    assert [r["i"] for r in rows] == list(range(4000))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_is_not_there_is_named_without_its_password() -> None:
    port = closed_port()
    url = f"postgresql://someone:s3cret@127.0.0.1:{port}/nowhere"
    shown = f"postgresql://someone:***@127.0.0.1:{port}/nowhere"
    result = subprocess.run(
        [sys.executable, "-m", "runcard", "runs", "--dir", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert shown in result.stderr and "cannot connect" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(runcard.StoreError, match="cannot connect") as caught:
        runcard.init(project="p", dir=f"{url}?password=s3cret")
    assert "s3cret" not in str(caught.value) and "password=***" in str(caught.value)


def test_a_database_that_does_not_exist_is_named(store_dir: str) -> None:
    missing = store_dir.split("?")[0].rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(runcard.StoreError, match="no_such_database"):
        runcard.init(project="p", dir=missing)


def test_a_run_not_found_names_the_store_without_its_password(store_dir: str) -> None:
    with_password = store_dir.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    assert with_password != store_dir  # the server trusts local connections: any password
    runcard.init(project="p", dir=with_password).finish()
    with pytest.raises(runcard.RunNotFoundError) as caught:
        runcard.Api(dir=with_password).run("p/nothing")
    assert "s3cret" not in str(caught.value) and "postgres:***@" in str(caught.value)
