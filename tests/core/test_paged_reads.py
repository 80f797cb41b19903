"""Reads in pages, counts and groups computed by the database answer as the eager reads do, on
SQLite and (tox -e server) PostgreSQL alike."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import runcard
from runcard._convert import loads
from runcard._errors import UsageError
from runcard._store import open_store

FILTERS: list[dict[str, Any] | None] = [
    None,
    {"config.lr": {"$gt": 0.005}},
    {"summary.val_acc": {"$exists": True}},
    {"$or": [{"config.opt": "adam"}, {"tags": "b"}]},
]
ORDERS = ["-created_at", "created_at", "summary.val_acc", "-summary.val_acc", "-config.lr", "name"]


@pytest.fixture
def stored(store_dir: Path | str) -> Any:
    """23 runs of project p (and 2 of q): lr of 3 values, some missing, one null; val_acc a
    number, true, or missing."""
    for i in range(23):
        config: dict[str, Any] = {"opt": "adam" if i % 2 else "sgd", "depth": i % 4}
        if i % 5:
            config["lr"] = [0.1, 0.01, 0.001][i % 3]
        elif i == 10:
            config["lr"] = None
        run = runcard.init(project="p", id=f"r{i:02d}", config=config, tags=["ab"[i % 2]])
        if i % 7 == 3:
            run.summary["val_acc"] = True
        elif i % 6:
            run.summary["val_acc"] = (i * 37 % 11) / 10
        run.finish()
    for i in range(2):
        runcard.init(project="q", id=f"q{i}", config={"lr": 0.1}).finish()
    store = open_store(str(store_dir), create=False)
    yield store
    store.close()


def pks(rows: list[dict[str, Any]]) -> list[int]:
    return [row["pk"] for row in rows]


@pytest.mark.parametrize("filters", FILTERS)
def test_count_and_pages_equal_the_eager_listing(stored: Any, filters: Any) -> None:
    for order in ORDERS:
        eager = stored.query_runs(None, "p", filters, order)
        assert stored.count_runs(None, "p", filters) == len(eager)
        paged: list[dict[str, Any]] = []
        for offset in range(0, len(eager) + 7, 7):
            paged += stored.query_runs(None, "p", filters, order, limit=7, offset=offset)
        assert pks(paged) == pks(eager), order
        listed = stored.run_pks(None, "p", filters, order)
        assert listed == pks(eager), order
        by_pk = [
            row for i in range(0, len(listed), 5) for row in stored.runs_by_pk(listed[i : i + 5])
        ]
        assert by_pk == eager, order
        keys = ["config.lr", "summary"]
        assert stored.runs_by_pk(listed[:9], keys) == stored.query_runs(
            None, "p", filters, order, limit=9, keys=keys
        )


def test_offset_without_a_limit_reads_to_the_end(stored: Any) -> None:
    eager = stored.query_runs(None, None, None, "name")
    assert pks(stored.query_runs(None, None, None, "name", offset=20)) == pks(eager)[20:]


def test_runs_by_pk_leaves_out_a_deleted_run(stored: Any) -> None:
    listed = stored.run_pks(None, "p", None, None)
    stored.delete_run(listed[1])
    assert pks(stored.runs_by_pk(listed[:3])) == [listed[0], listed[2]]


def eager_groups(rows: list[dict[str, Any]], by: list[str], metrics: list[str]) -> list[Any]:
    """The groups as Python computes them from whole runs."""
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        documents = {"config": loads(row["config"]), "summary": loads(row["summary"])}
        ident = []
        for key in by:
            head, _, name = key.partition(".")
            present = name in documents[head]
            ident.append((present, documents[head].get(name)))
        group = groups.setdefault(tuple(ident), {"runs": 0, "numbers": {m: [] for m in metrics}})
        group["runs"] += 1
        for metric in metrics:
            head, _, name = metric.partition(".")
            value = documents[head].get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                group["numbers"][metric].append(value)
    found = []
    for ident, group in groups.items():
        stats = {
            m: (len(v), math.fsum(v), math.fsum(x * x for x in v), min(v, default=None))
            for m, v in group["numbers"].items()
        }
        found.append((ident, group["runs"], stats))
    return sorted(found, key=lambda g: repr(g[0]))


@pytest.mark.parametrize("filters", FILTERS)
def test_groups_equal_the_eager_grouping(stored: Any, filters: Any) -> None:
    by, metrics = ["config.lr", "config.opt"], ["summary.val_acc", "config.depth"]
    answered = stored.group_runs(None, "p", filters, by, metrics)
    found = []
    for g in answered:
        stats = {
            m: (s["count"], s["sum"] or 0.0, s["sum_squares"] or 0.0, s["min"])
            for m, s in g["metrics"].items()
        }
        found.append((tuple(zip(g["present"], g["values"], strict=True)), g["runs"], stats))
    found.sort(key=lambda g: repr(g[0]))
    expected = eager_groups(stored.query_runs(None, "p", filters, None), by, metrics)
    assert [(i, n) for i, n, _ in found] == [(i, n) for i, n, _ in expected]
    for (_, _, got), (_, _, want) in zip(found, expected, strict=True):
        for metric in metrics:
            assert got[metric][0] == want[metric][0]
            assert got[metric][1:3] == pytest.approx(want[metric][1:3])
            assert got[metric][3] == want[metric][3]


def test_no_group_keys_is_one_group_of_every_match(stored: Any) -> None:
    (group,) = stored.group_runs(None, "p", None, [], ["summary.val_acc"])
    assert group["runs"] == 23 and group["values"] == []


def test_group_keys_must_be_config_or_summary_keys(stored: Any) -> None:
    with pytest.raises(UsageError, match="'name'"):
        stored.group_runs(None, "p", None, ["name"], [])
    with pytest.raises(UsageError, match="'config'"):
        stored.group_runs(None, "p", None, ["config"], [])


# -- Api.runs(): a Runs read page by page -----------------------------------------------------
def test_api_runs_pages_equal_the_eager_listing(stored: Any, api: runcard.Api) -> None:
    for filters in FILTERS:
        for order in ORDERS:
            eager = stored.query_runs(None, "p", filters, order)
            for per_page in (1, 4, 50):
                runs = api.runs("p", filters=filters, order=order, per_page=per_page)
                assert len(runs) == len(eager)
                read = [(r.path, r.config, r.summary) for r in runs]
                assert read == [
                    (f"{row['entity']}/p/{row['run_id']}", _user(row), loads(row["summary"]))
                    for row in eager
                ]
            runs = api.runs("p", filters=filters, order=order, limit=5)
            assert [r.id for r in runs] == [row["run_id"] for row in eager[:5]]
            assert len(runs) == min(5, len(eager))


def _user(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in loads(row["config"]).items() if not k.startswith("_")}


def test_api_runs_index_and_slice_read_those_runs(stored: Any, api: runcard.Api) -> None:
    ids = [row["run_id"] for row in stored.query_runs(None, "p", None, "name")]
    runs = api.runs("p", order="name", per_page=3)
    assert runs[0].id == ids[0] and runs[7].id == ids[7] and runs[-1].id == ids[-1]
    assert [r.id for r in runs[4:11]] == ids[4:11]
    assert [r.id for r in runs[::5]] == ids[::5]
    with pytest.raises(IndexError):
        runs[23]
    limited = api.runs("p", order="name", limit=4)
    assert [r.id for r in limited[2:9]] == ids[2:4]
    with pytest.raises(IndexError):
        limited[4]
    assert api.runs("p", filters={"config.opt": "none"}) == []
    assert not api.runs("p", filters={"config.opt": "none"})


def test_api_runs_refuses_a_bad_page_size_or_limit(api: runcard.Api) -> None:
    for bad in ({"per_page": 0}, {"per_page": "50"}, {"limit": -1}, {"limit": 2.5}):
        with pytest.raises(UsageError, match=next(iter(bad))):
            api.runs("p", **bad)


def test_api_runs_refuses_a_bad_filter_when_asked_not_when_read(api: runcard.Api) -> None:
    with pytest.raises(UsageError, match="'bogus'"):
        api.runs("p", filters={"bogus": 1})
    with pytest.raises(UsageError, match="'nope'"):
        api.runs("p", order="-nope")


WRITER = """
import sys
import runcard

for i in range(int(sys.argv[2])):
    config = {f"k{j}": j * i for j in range(20)}
    run = runcard.init(project="busy", id=f"w{sys.argv[1]}-{i}", config=config)
    run.summary.update({f"m{j}": float(j + i) for j in range(20)})
    run.finish()
"""


def test_a_paged_read_while_8_processes_write_sees_whole_runs(
    tmp_path: Path, api: runcard.Api
) -> None:
    import subprocess
    import sys

    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    per_writer = 12
    writers = [
        subprocess.Popen([sys.executable, str(script), str(n), str(per_writer)]) for n in range(8)
    ]
    reads = 0
    try:
        while any(w.poll() is None for w in writers) or reads < 2:
            for run in api.runs("busy", per_page=7):
                i = int(run.id.rpartition("-")[2])
                assert run.config == {f"k{j}": j * i for j in range(20)}, run.id
                if run.state == "finished":
                    assert run.summary == {f"m{j}": float(j + i) for j in range(20)}, run.id
            reads += 1
    finally:
        codes = [w.wait(timeout=120) for w in writers]
    assert codes == [0] * 8
    runs = api.runs("busy")
    assert len(runs) == 8 * per_writer == sum(1 for r in runs if r.state == "finished")
