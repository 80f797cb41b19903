"""The public Api (SPEC §2): find runs, filter them, edit them after the fact."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runcard
from pg_server import store_exists


def make_runs() -> list[runcard.Run]:
    runs = []
    for i, (lr, depth, tags) in enumerate(
        [(0.1, 2, ["baseline"]), (0.01, 4, ["baseline", "big"]), (0.001, 8, [])]
    ):
        run = runcard.init(
            project="sweep",
            config={"lr": lr, "model": {"depth": depth}, "opt": "adam" if i else "sgd"},
            tags=tags,
            group="g" if i < 2 else None,
        )
        run.log({"loss": 1.0 / (i + 1)})
        run.finish()
        runs.append(run)
    return runs


def ids(found: list[runcard.ApiRun]) -> list[str]:
    return sorted(r.id for r in found)


def test_filters_on_config_summary_and_run_fields() -> None:
    a, b, c = make_runs()
    api = runcard.Api()
    assert ids(api.runs("sweep", {"config.lr": 0.01})) == [b.id]
    assert ids(api.runs("sweep", {"config.lr": {"$gte": 0.01}})) == ids_of(a, b)
    assert ids(api.runs("sweep", {"config.model.depth": {"$in": [2, 8]}})) == ids_of(a, c)
    assert ids(api.runs("sweep", {"config.model.depth": {"$nin": [2, 8]}})) == [b.id]
    assert ids(api.runs("sweep", {"summary.loss": {"$lt": 0.6}})) == ids_of(b, c)
    assert ids(api.runs("sweep", {"config.opt": {"$ne": "adam"}})) == [a.id]
    assert ids(api.runs("sweep", {"group": None})) == [c.id]
    assert ids(api.runs("sweep", {"tags": "big"})) == [b.id]
    assert ids(api.runs("sweep", {"tags": {"$in": ["baseline"]}})) == ids_of(a, b)
    assert ids(api.runs("sweep", {"state": "finished"})) == ids_of(a, b, c)
    assert ids(api.runs("sweep", {"config.missing": {"$exists": False}})) == ids_of(a, b, c)
    assert ids(api.runs("sweep", {"config.model.depth": {"$exists": True}})) == ids_of(a, b, c)
    either = {"$or": [{"config.lr": 0.1}, {"config.model.depth": 8}]}
    assert ids(api.runs("sweep", either)) == ids_of(a, c)
    both = {"$and": [{"config.lr": {"$lt": 0.05}}, {"config.opt": "adam"}]}
    assert ids(api.runs("sweep", both)) == ids_of(b, c)
    assert ids(api.runs("sweep", {"config.opt": {"$regex": "^ad"}})) == ids_of(b, c)


def ids_of(*runs: runcard.Run) -> list[str]:
    return sorted(r.id for r in runs)


def test_order_sorts_by_config_summary_or_run_field() -> None:
    a, b, c = make_runs()
    api = runcard.Api()
    assert [r.id for r in api.runs("sweep", order="+config.lr")] == [c.id, b.id, a.id]
    assert [r.id for r in api.runs("sweep", order="-summary.loss")] == [a.id, b.id, c.id]
    assert [r.id for r in api.runs("sweep")] == [c.id, b.id, a.id]  # newest first


def test_comparisons_only_match_values_of_the_same_kind() -> None:
    runcard.init(project="kinds", config={"v": "text"}).finish()
    number = runcard.init(project="kinds", config={"v": 5})
    number.finish()
    assert ids(runcard.Api().runs("kinds", {"config.v": {"$gt": 1}})) == [number.id]


def test_hostile_filters_get_a_clear_error_and_never_reach_sql() -> None:
    make_runs()
    api = runcard.Api()
    assert api.runs("sweep", {"config.lr' OR 1=1 --": 1}) == []
    assert api.runs("sweep", {"config.lr": "0.1' OR '1'='1"}) == []
    with pytest.raises(runcard.UsageError, match=r"\$where"):
        api.runs("sweep", {"config.lr": {"$where": "1"}})
    with pytest.raises(runcard.UsageError, match="unknown filter key 'lr; DROP TABLE runs'"):
        api.runs("sweep", {"lr; DROP TABLE runs": 1})
    with pytest.raises(runcard.UsageError, match=r"\$nor"):
        api.runs("sweep", {"$nor": [{"config.lr": 1}]})
    # a config key may hold any text: it is bound as a JSON path, so this sorts by a missing key
    assert len(api.runs("sweep", order="config.lr; DROP TABLE runs")) == 3
    with pytest.raises(runcard.UsageError, match="unknown filter key"):
        api.runs("sweep", order="lr; DROP TABLE runs")
    assert len(api.runs("sweep")) == 3
    with pytest.raises(runcard.UsageError, match=r"\$regex .* is not a regular expression"):
        api.runs("sweep", {"config.opt": {"$regex": "'); DROP TABLE runs; --"}})
    with pytest.raises(runcard.UsageError, match=r"\$in on 'id' takes at most 500 values"):
        api.runs("sweep", {"id": {"$in": [str(i) for i in range(501)]}})
    assert len(api.runs("sweep", {"id": {"$in": [r.id for r in api.runs("sweep")] * 100}})) == 3


def test_update_after_finish_is_recorded_as_an_api_revision() -> None:
    run = runcard.init(project="p", config={"foo": 1, "model": {"depth": 3}})
    run.log({"acc": 0.5})
    run.finish()
    api = runcard.Api()
    saved = api.run(f"{run.entity}/{run.project}/{run.id}")
    saved.config["bar"] = 32
    saved.config["model"]["depth"] = 5
    saved.summary["best_acc"] = 0.9
    saved.name = "renamed"
    saved.tags.append("reviewed")
    saved.update()
    again = api.run(run.path)
    assert again.config == {"foo": 1, "model": {"depth": 5}, "bar": 32}
    assert again.summary == {"acc": 0.5, "best_acc": 0.9}
    assert (again.name, again.tags, again.state) == ("renamed", ["reviewed"], "finished")
    history = again.provenance()
    assert history["bar"][0]["source"] == "api"
    assert [(r["source"], r["value"]) for r in history["model.depth"]] == [
        ("init", 3),
        ("api", 5),
    ]


def test_update_while_the_run_is_live_is_kept_alongside_the_runs_own_writes() -> None:
    run = runcard.init(project="p", config={"a": 1})
    saved = runcard.Api().run(run.path)
    saved.config["from_api"] = True
    saved.update()
    run.config.from_script = 2
    run.finish()
    assert runcard.Api().run(run.path).config == {"a": 1, "from_api": True, "from_script": 2}


def test_a_summary_edit_through_the_api_while_the_run_logs_is_kept() -> None:
    run = runcard.init(project="p")
    run.log({"loss": 1.0})
    deadline = time.monotonic() + 5
    while runcard.Api().run(run.path).summary.get("loss") != 1.0:  # the writer stored it
        assert time.monotonic() < deadline, "the first value never reached the store"
        time.sleep(0.01)
    saved = runcard.Api().run(run.path)
    saved.summary["verdict"] = "good"
    saved.update()
    run.log({"loss": 0.5})
    run.finish()
    summary = runcard.Api().run(run.path).summary
    assert (summary["loss"], summary["verdict"]) == (0.5, "good")


def test_removing_a_key_through_the_api_is_a_revision() -> None:
    run = runcard.init(project="p", config={"a": 1, "b": 2})
    run.finish()
    saved = runcard.Api().run(run.path)
    del saved.config["b"]
    saved.update()
    again = runcard.Api().run(run.path)
    assert again.config == {"a": 1}
    assert again.provenance()["b"][-1]["detail"] == "removed"


def test_delete_removes_the_run_and_only_it() -> None:
    a, b, _ = make_runs()
    runcard.Api().run(a.path).delete()
    with pytest.raises(runcard.RunNotFoundError):
        runcard.Api().run(a.path)
    assert runcard.Api().run(b.path).config["lr"] == 0.01


def test_unknown_paths_raise_run_not_found_also_without_a_store(
    make_store: Callable[[str], Path | str],
) -> None:
    nowhere = make_store("nothing-here")
    empty = runcard.Api(dir=str(nowhere))
    with pytest.raises(runcard.RunNotFoundError, match="me/p/abc"):
        empty.run("me/p/abc")
    assert empty.runs("p") == [] and empty.projects() == []
    assert not store_exists(nowhere)
    make_runs()
    with pytest.raises(runcard.RunNotFoundError, match="sweep/zzz"):
        runcard.Api().run("sweep/zzz")
    with pytest.raises(ValueError):  # RunNotFoundError is a ValueError, as in wandb
        runcard.Api().run("a/b/c/d/e")


def test_a_run_id_in_two_projects_is_an_error_naming_both_unless_given_with_its_project() -> None:
    for project in ("one", "two"):
        runcard.init(project=project, id="twice").finish()
    runcard.init(entity="other", project="one", id="twice").finish()
    api = runcard.Api()
    with pytest.raises(runcard.UsageError) as bare:
        api.run("twice")
    entity = runcard.Api().run("two/twice").entity
    for path in (f"{entity}/one/twice", f"{entity}/two/twice", "other/one/twice"):
        assert path in str(bare.value)
    with pytest.raises(runcard.UsageError, match="other/one/twice") as in_project:
        api.run("one/twice")
    assert f"{entity}/two/twice" not in str(in_project.value)
    assert api.run("two/twice").project == "two"
    assert api.run("other/one/twice").entity == "other"
    assert api.run(f"{entity}/one/twice").entity == entity


def test_projects_lists_each_project_with_its_run_count() -> None:
    make_runs()
    runcard.init(project="other").finish()
    projects = {p.name: p.run_count for p in runcard.Api().projects()}
    assert projects == {"sweep": 3, "other": 1}


def test_history_rows_come_back_in_order_with_steps() -> None:
    run = runcard.init(project="p")
    for i in range(5):
        run.log({"loss": 1.0 / (i + 1), "ok": i % 2 == 0})
    run.log({"loss": math.nan})
    run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    assert [r["_step"] for r in rows] == [0, 1, 2, 3, 4, 5]
    assert rows[1]["loss"] == 0.5 and rows[1]["ok"] is False
    assert math.isnan(rows[5]["loss"])
    assert next(iter(runcard.Api().run(run.path).scan_history(keys=["ok"]))) == {
        "_step": 0,
        "ok": True,
    }


def test_runs_with_keys_reads_only_those_keys_and_is_read_only() -> None:
    with pytest.warns(runcard.ConfigWarning, match="'opt.name'"):
        run = runcard.init(
            project="k",
            config={"lr": 0.1, "model": {"depth": 2, "act": "relu"}, "opt.name": "sgd"},
        )
    run.config.flags = {"fast": True, "sizes": [1, 2]}
    run.log({"loss": 0.5})
    run.config.nothing = None
    run.config.on = False
    run.finish()
    runcard.init(project="k", config={"other": 1}).finish()
    found = runcard.Api().runs(
        "k",
        keys=[
            "config.lr",
            "config.model.depth",
            "config.opt.name",
            "config.nothing",
            "config.flags",
            "config.on",
            "summary",
        ],
        order="+created_at",
    )
    first, second = found
    assert first.config == {
        "lr": 0.1,
        "model": {"depth": 2},
        "opt": {"name": "sgd"},
        "nothing": None,
        "flags": {"fast": True, "sizes": [1, 2]},
        "on": False,
    }
    assert first.config["on"] is False
    assert first.summary == {"loss": 0.5} and first.state == "finished"
    assert second.config == {} and second.summary == {}
    with pytest.raises(runcard.UsageError, match="read it whole"):
        first.update()
    with pytest.raises(runcard.UsageError, match="'state'"):
        runcard.Api().runs("k", keys=["state"])


def test_scan_history_takes_wandb_arguments_and_iterates_again() -> None:
    run = runcard.init(project="m")
    for i in range(6):
        run.log({"acc": i / 10, **({"loss": float(i)} if i % 2 else {})})
    run.finish()
    api_run = runcard.Api().run(run.path)
    scan = api_run.scan_history(keys="acc", page_size=2, min_step=1, max_step=4)
    assert list(scan) == [
        {"_step": 1, "acc": 0.1},
        {"_step": 2, "acc": 0.2},
        {"_step": 3, "acc": 0.3},
    ]
    assert list(scan) == list(scan)  # read again, not used up
    assert [r["_step"] for r in api_run.scan_history(keys=["loss"])] == [1, 3, 5]
    assert len(list(api_run.scan_history())) == 6
    assert api_run.history(keys="loss", pandas=False) == [
        {"_step": 1, "loss": 1.0},
        {"_step": 3, "loss": 3.0},
        {"_step": 5, "loss": 5.0},
    ]


@pytest.mark.parametrize("keys", [[1], ["acc", None], {"acc": 1}, 3])
def test_bad_history_keys_are_usage_errors(keys: Any) -> None:
    run = runcard.init(project="m")
    run.log({"acc": 1.0})
    run.finish()
    api_run = runcard.Api().run(run.path)
    with pytest.raises(runcard.UsageError, match="keys"):
        list(api_run.scan_history(keys=keys))
    with pytest.raises(runcard.UsageError, match="keys"):
        api_run.history(keys=keys, pandas=False)
    with pytest.raises(runcard.UsageError, match="max_step"):
        api_run.scan_history(max_step="9")
