"""The JSON API against a store built by real runs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2 in place of httpx; both work here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from app_data import XSS_SCRIPT

import runcard
from runcard.web._app import create_app
from runcard.web._charts import downsample
from runcard.web._values import json_safe


@pytest.fixture(scope="module")
def client(store: tuple[Path, dict[str, Any]]) -> TestClient:
    return TestClient(create_app(str(store[0])))


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_projects_lists_each_project_with_its_run_count(client: TestClient) -> None:
    projects = get(client, "/api/projects")["projects"]
    assert {(p["name"], p["runs"]) for p in projects} == {("demo", 6), ("xss", 1)}


def test_projects_of_a_store_that_does_not_exist_is_empty(tmp_path: Path) -> None:
    fresh = TestClient(create_app(str(tmp_path / "nothing-here")))
    assert get(fresh, "/api/projects") == {"projects": []}
    assert get(fresh, "/api/runs")["total"] == 0


def test_runs_page_has_rows_and_the_config_keys_that_vary(client: TestClient) -> None:
    page = get(client, "/api/runs", project="demo", limit=4)
    assert page["total"] == 6 and len(page["runs"]) == 4
    assert page["columns"]["config_varying"] == [
        "config.lr",
        "config.optimizer.name",
        "config.seed",
    ]
    assert page["columns"]["config_same"] == ["config.epochs"]
    assert "summary.acc" in page["columns"]["summary"]
    row = page["runs"][0]
    assert set(row) >= {"id", "path", "name", "state", "created_at", "config", "summary"}
    assert row["state"] == "finished" and "optimizer.name" in row["config"]


def test_runs_page_sorts_and_pages(client: TestClient) -> None:
    first = get(client, "/api/runs", project="demo", sort="-summary.acc", limit=2)
    second = get(client, "/api/runs", project="demo", sort="-summary.acc", limit=2, offset=2)
    accs = [r["summary"]["acc"] for r in first["runs"] + second["runs"]]
    assert accs == [0.81, 0.80, 0.79, 0.62]
    ascending = get(client, "/api/runs", project="demo", sort="config.lr", limit=10)["runs"]
    assert [r["config"]["lr"] for r in ascending] == [0.01] * 3 + [0.1] * 3


def test_runs_filter_takes_mongo_json_and_the_cli_syntax(client: TestClient) -> None:
    mongo = {"$and": [{"config.lr": 0.1}, {"config.optimizer.name": "adam"}]}
    assert get(client, "/api/runs", project="demo", filter=json.dumps(mongo))["total"] == 2
    cli = "config.lr=0.01 and summary.acc>0.59"
    assert get(client, "/api/runs", project="demo", filter=cli)["total"] == 2


@pytest.mark.parametrize(
    "bad",
    ['{"config.lr": {"$bogus": 1}}', "{not json", "[1, 2]", "lr>>", "config.lr >"],
)
def test_a_bad_filter_is_400_json(client: TestClient, bad: str) -> None:
    answer = get(client, "/api/runs", 400, project="demo", filter=bad)
    assert answer["error"] and "Traceback" not in answer["error"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (" or ".join(f"id={i}" for i in range(3000)), "holds 3000 values"),
        (json.dumps({"$or": [{"config.lr": i} for i in range(400)]}), "holds 400 values"),
        ("(" * 3000 + "config.lr=0.1" + ")" * 3000, "parentheses nest more than 32 deep"),
        ('{"$and":[' * 2000 + '{"config.lr": 0.1}' + "]}" * 2000, "nests too deeply"),
        ('{"$and": [' * 20 + '{"config.lr": 0.1}' + "]}" * 20, "nests more than 28 levels"),
        ("config.lr=" + "[" * 3000 + "]" * 3000, "nests too deeply"),
        (json.dumps({"config.lr": 10**400}).replace("1" + "0" * 400, "1" + "0" * 5000), "JSON"),
    ],
    ids=["3000-or", "400-or-json", "3000-brackets", "2000-and-json", "20-and", "3000-lists", "int"],
)
def test_an_oversized_filter_is_400_naming_the_reason(
    client: TestClient, bad: str, reason: str
) -> None:
    for url in ("/api/runs", "/api/groups"):
        answer = get(client, url, 400, project="demo", filter=bad, by="config.lr")
        assert reason in answer["error"] and "Traceback" not in answer["error"]


def test_group_by_a_config_key_counts_and_averages(client: TestClient) -> None:
    answer = get(client, "/api/groups", project="demo", by="config.lr", metric="summary.acc")
    rows = {g["values"][0]["value"]: g for g in answer["groups"]}
    assert set(rows) == {0.01, 0.1}
    assert rows[0.1]["count"] == 3 and rows[0.01]["count"] == 3
    assert rows[0.1]["stats"]["summary.acc"]["mean"] == pytest.approx(0.8)
    assert rows[0.01]["stats"]["summary.acc"]["mean"] == pytest.approx(0.6)
    assert rows[0.1]["stats"]["summary.acc"]["std"] == pytest.approx(0.01)
    low, high = rows[0.1]["stats"]["summary.acc"]["ci95"]
    assert low < 0.8 < high


def test_group_by_two_keys_and_all_except_seed(client: TestClient) -> None:
    two = get(client, "/api/groups", project="demo", by="config.lr,config.optimizer.name")
    counts = {tuple(v["value"] for v in g["values"]): g["count"] for g in two["groups"]}
    assert counts == {(0.01, "adam"): 1, (0.01, "sgd"): 2, (0.1, "adam"): 2, (0.1, "sgd"): 1}
    allbut = get(client, "/api/groups", project="demo", all_except="config.seed")
    assert allbut["keys"] == ["config.lr", "config.optimizer.name"]
    assert len(allbut["groups"]) == 4


def test_group_by_keeps_missing_and_null_as_their_own_groups(store_dir: Path) -> None:
    for config in ({"k": 1}, {"k": None}, {}, {"k": 1.0}):
        runcard.init(project="g", config=config).finish()
    fresh = TestClient(create_app(str(store_dir)))
    groups = get(fresh, "/api/groups", project="g", by="config.k")["groups"]
    assert [(g["values"][0], g["count"]) for g in groups] == [
        ({"value": 1}, 2),
        ({"value": None}, 1),
        ({"missing": True}, 1),
    ]


def test_group_by_needs_a_key(client: TestClient) -> None:
    assert "by=" in get(client, "/api/groups", 400, project="demo")["error"]


def test_diff_shows_only_differing_keys_and_tells_missing_from_null(store_dir: Path) -> None:
    a = runcard.init(project="d", config={"lr": 0.1, "same": 1, "gone": None, "opt": {"m": 0.9}})
    a.log({"acc": 0.5})
    a.finish()
    b = runcard.init(project="d", config={"lr": 0.2, "same": 1, "opt": {"m": 0.9}, "new": "x"})
    b.log({"acc": 0.7})
    b.finish()
    fresh = TestClient(create_app(str(store_dir)))
    answer = get(fresh, "/api/diff", runs=f"{a.path},{b.path}")
    rows = {r["key"]: r["values"] for r in answer["config"]}
    assert rows == {
        "lr": [{"value": 0.1}, {"value": 0.2}],
        "gone": [{"value": None}, {"missing": True}],
        "new": [{"missing": True}, {"value": "x"}],
    }
    assert answer["same_count"] == 2
    summary = {r["key"]: r for r in answer["summary"]}
    assert summary["acc"]["values"] == [{"value": 0.5}, {"value": 0.7}]
    assert summary["acc"]["differs"] is True


def test_diff_of_an_unknown_run_is_404_json(client: TestClient, store: Any) -> None:
    answer = get(client, "/api/diff", 404, runs=f"{store[1]['demo'][0]},demo/nope")
    assert "nope" in answer["error"]
    assert get(client, "/api/diff", 400)["error"]


def test_run_detail(client: TestClient, store: Any) -> None:
    path = store[1]["demo"][0]
    run = get(client, f"/api/run/{path}")
    assert run["path"] == path and run["state"] == "finished"
    assert run["config"]["optimizer"] == {"name": "adam"}
    assert run["provenance"]["lr"][0]["source"] == "init"
    assert run["summary"]["acc"] == 0.79
    assert sorted(run["metrics"]) == ["acc", "loss"]
    assert "python" in run["metadata"]
    project_and_id = "/".join(path.split("/")[1:])
    assert get(client, f"/api/run/{project_and_id}")["path"] == path


@pytest.mark.parametrize("path", ["nobody/demo/nope", "nope", "a/b/c/d/e"])
def test_unknown_run_is_404_json_never_a_traceback(client: TestClient, path: str) -> None:
    answer = get(client, f"/api/run/{path}", 404)
    assert set(answer) == {"error"} and "Traceback" not in answer["error"]


def test_unknown_route_is_404_json(client: TestClient) -> None:
    assert get(client, "/api/nothing", 404) == {"error": "Not Found"}


def test_series_returns_steps_and_values(client: TestClient, store: Any) -> None:
    paths = store[1]["demo"][:2]
    answer = get(client, "/api/series", runs=",".join(paths), key="loss")
    assert [s["path"] for s in answer["series"]] == paths
    series = answer["series"][0]
    assert series["points"] == 40 and series["steps"] == list(range(40))
    assert series["values"][0] == 1.0
    assert get(client, "/api/series", 400, key="loss")["error"]


def test_series_is_downsampled_on_the_server(store_dir: Path) -> None:
    run = runcard.init(project="long")
    for step in range(5000):
        run.log({"x": 100.0 if step == 2345 else float(step % 7)})
    run.finish()
    fresh = TestClient(create_app(str(store_dir)))
    series = get(fresh, "/api/series", runs=run.path, key="x", points=200)["series"][0]
    assert series["points"] == 5000
    assert len(series["steps"]) <= 202
    assert 100.0 in series["values"]  # the spike survives
    assert series["steps"][0] == 0 and series["steps"][-1] == 4999


def test_downsample_keeps_short_series_whole() -> None:
    pairs = [(i, float(i)) for i in range(10)]
    assert downsample(pairs, 100) == pairs


def test_points_for_parallel_coordinates(client: TestClient) -> None:
    answer = get(client, "/api/points", project="demo", keys="config.lr,summary.acc")
    assert answer["keys"] == ["config.lr", "summary.acc"]
    assert len(answer["runs"]) == 6
    assert sorted(r["values"][1]["value"] for r in answer["runs"])[0] == 0.58
    default = get(client, "/api/points", project="demo")
    assert default["keys"] == ["config.lr", "config.optimizer.name", "config.seed"]


def test_payloads_come_back_as_plain_json_strings(client: TestClient) -> None:
    row = get(client, "/api/runs", project="xss")["runs"][0]
    assert row["config"]["payload"] == XSS_SCRIPT


def test_non_finite_numbers_are_valid_json(store_dir: Path) -> None:
    run = runcard.init(project="nan")
    run.log({"loss": float("nan"), "up": float("inf")})
    run.finish()
    fresh = TestClient(create_app(str(store_dir)))
    response = fresh.get("/api/runs", params={"project": "nan"})
    summary = json.loads(response.text)["runs"][0]["summary"]
    assert summary["up"] == "Infinity"
    assert summary["loss"] in (None, "NaN")  # the store may keep NaN as null
    assert json_safe({"a": [float("nan"), -float("inf")]}) == {"a": ["NaN", "-Infinity"]}


def test_index_and_vendored_chart_library_are_served(client: TestClient) -> None:
    assert "runcard" in client.get("/").text
    # ES modules, served as they are: a JavaScript type, each module's imports there too
    for name in (
        "main",
        "dom",
        "state",
        "charts",
        "curves",
        "table",
        "groups",
        "diff",
        "importance",
        "run",
        "plots",
    ):
        answer = client.get(f"/static/js/{name}.js")
        assert answer.status_code == 200, name
        assert "javascript" in answer.headers["content-type"], name
    assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200
    assert "Apache License" in client.get("/static/vendor/echarts/LICENSE").text


def test_import_runcard_does_not_import_the_web_app() -> None:
    import subprocess
    import sys

    code = "import runcard, sys; print(any(m.startswith(('runcard.web', 'starlette', 'uvicorn')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_new_run_shows_up_in_the_next_answer(store_dir: Path) -> None:
    runcard.init(project="live").finish()
    fresh = TestClient(create_app(str(store_dir)))
    assert get(fresh, "/api/runs", project="live")["total"] == 1
    runcard.init(project="live").finish()
    answer = get(fresh, "/api/runs", project="live")
    assert (answer["total"], answer["stale"]) == (2, False)


def test_slow_reads_answer_from_the_last_read_while_a_thread_rereads(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from runcard.web import _cache

    monkeypatch.setattr(_cache, "SYNC_LOAD_SECONDS", 0.0)  # every read counts as slow
    runcard.init(project="swr").finish()
    app = create_app(str(store_dir))
    fresh = TestClient(app)
    assert get(fresh, "/api/runs", project="swr")["total"] == 1
    app.state.catalog.wait_for_reads()  # the first answer came from the store; then the read
    runcard.init(project="swr").finish()
    answer = get(fresh, "/api/runs", project="swr")
    assert (answer["total"], answer["stale"]) == (1, True)
    deadline = time.monotonic() + 10
    while (answer := get(fresh, "/api/runs", project="swr"))["stale"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert answer["total"] == 2


def test_the_start_up_read_fills_the_cache_for_every_project(store_dir: Path) -> None:
    runcard.init(project="one").finish()
    runcard.init(project="two").finish()
    app = create_app(str(store_dir))
    app.state.catalog.warm().join(timeout=30)
    cached = {project for project, _filter in app.state.catalog._cache}
    assert {p.split("/")[1] for p in cached} == {"one", "two"}
    answer = get(TestClient(app), "/api/runs", project=sorted(cached)[0])
    assert (answer["total"], answer["stale"]) == (1, False)


def test_band_is_the_mean_and_spread_of_a_groups_curves(store_dir: Path) -> None:
    paths = []
    for offset in (0.0, 2.0):
        run = runcard.init(project="band")
        for step in range(10):
            run.log({"loss": step + offset})
        run.finish()
        paths.append(run.path)
    fresh = TestClient(create_app(str(store_dir)))
    band = get(fresh, "/api/band", runs=",".join(paths), key="loss", points=10)
    assert band["steps"] == list(range(10))
    assert band["mean"] == [step + 1.0 for step in range(10)]
    assert band["low"][0] == pytest.approx(1.0 - 2**0.5)
    assert band["n"] == [2] * 10
    thinned = get(fresh, "/api/band", runs=",".join(paths), key="loss", points=5)
    assert len(thinned["steps"]) == 5 and thinned["mean"][0] == pytest.approx(1.5)
    assert get(fresh, "/api/band", 400, key="loss")["error"]
    assert get(fresh, "/api/band", 404, runs="band/nope", key="loss")["error"]
