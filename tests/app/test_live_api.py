"""Live runs through the JSON API: the change feed the runs table polls (/api/changes), the
points a run page appends (/api/history?since_step=), and answers given before the app has
read every run (straight from the store) agreeing with the answers from memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2 in place of httpx; both work here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from app_data import free_port

import runcard
from runcard.web import _catalog, _feed
from runcard.web._app import create_app


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text
    return response.json()


def finished_runs(project: str, count: int) -> list[str]:
    paths = []
    for i in range(count):
        run = runcard.init(project=project, config={"lr": [0.1, 0.01][i % 2], "seed": i})
        run.summary["acc"] = i / 10
        run.finish()
        paths.append(run.path)
    return paths


def poll(client: TestClient, token: str, **params: Any) -> tuple[str, dict[str, Any]]:
    answer = get(client, "/api/changes", token=token, **params)
    return answer["token"], answer


# -- /api/changes --------------------------------------------------------------------------
def test_without_a_token_the_feed_starts_now_and_repeats_nothing(store_dir: Path) -> None:
    finished_runs("feed", 3)  # changed moments ago: inside the window the feed looks back on
    client = TestClient(create_app(str(store_dir)))
    first = get(client, "/api/changes", project="feed")
    assert first["runs"] == [] and first["token"]
    token = first["token"]
    for _ in range(3):
        token, answer = poll(client, token, project="feed")
        assert (answer["runs"], answer["created"], answer["live"]) == ([], [], 0)


def test_a_run_logging_in_a_thread_comes_back_each_time_it_changes_and_only_then(
    store_dir: Path,
) -> None:
    quiet = finished_runs("feed", 2)
    live = runcard.init(project="feed", config={"lr": 0.5})
    client = TestClient(create_app(str(store_dir)))
    token = get(client, "/api/runs", project="feed")["token"]  # as the table starts
    born: list[str] = []

    def train() -> None:
        for step in range(60):
            live.log({"loss": 1 / (step + 1)})
            if step == 30:
                extra = runcard.init(project="feed", config={"lr": 0.7})
                extra.finish()
                born.append(extra.path)
            time.sleep(0.005)
        live.summary["best"] = 42
        live.finish()

    worker = threading.Thread(target=train)
    worker.start()
    rows: list[dict[str, Any]] = []
    created: list[str] = []
    while worker.is_alive():
        token, answer = poll(client, token, project="feed")
        rows.extend(answer["runs"])
        created.extend(answer["created"])
        time.sleep(0.02)
    worker.join()
    token, answer = poll(client, token, project="feed")  # after the last write
    rows.extend(answer["runs"])
    created.extend(answer["created"])

    assert not {r["path"] for r in rows} & set(quiet)  # unchanged runs never come back
    assert {r["path"] for r in rows} == {live.path, *born}
    assert created == born  # the run created meanwhile, once
    last = [r for r in rows if r["path"] == live.path][-1]  # nothing missed: the final state
    assert last["state"] == "finished"
    assert last["summary"]["best"] == 42 and last["summary"]["loss"] == pytest.approx(1 / 60)
    for _ in range(2):  # and then silence
        token, answer = poll(client, token, project="feed")
        assert answer["runs"] == []


def test_a_page_token_brings_back_what_changed_after_the_page(store_dir: Path) -> None:
    paths = finished_runs("feed", 3)
    app = create_app(str(store_dir))
    client = TestClient(app)
    from_store = get(client, "/api/runs", project="feed")["token"]
    app.state.catalog.wait_for_reads()
    from_memory = get(client, "/api/runs", project="feed")["token"]
    run_id = paths[1].split("/")[-1]
    resumed = runcard.init(project="feed", id=run_id, resume="must")
    resumed.summary["acc"] = 0.99
    resumed.finish()
    for token in (from_store, from_memory):
        answer = get(client, "/api/changes", project="feed", token=token)
        assert [r["path"] for r in answer["runs"]] == [paths[1]]
        assert answer["runs"][0]["summary"]["acc"] == 0.99
        assert answer["created"] == []


def test_the_feed_keeps_to_the_filter(store_dir: Path) -> None:
    finished_runs("feed", 2)
    client = TestClient(create_app(str(store_dir)))
    token = get(client, "/api/changes", project="feed", filter="config.lr=0.1")["token"]
    wanted = runcard.init(project="feed", config={"lr": 0.1})
    wanted.finish()
    runcard.init(project="feed", config={"lr": 0.01}).finish()
    answer = get(client, "/api/changes", project="feed", filter="config.lr=0.1", token=token)
    assert [r["path"] for r in answer["runs"]] == [wanted.path]


def test_a_killed_run_comes_back_when_it_turns_crashed(store_dir: Path) -> None:
    code = (
        "import sys, time, runcard\n"
        "run = runcard.init(project='feed')\n"
        "run.log({'loss': 1.0})\n"
        "print(run.path, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "RUNCARD_DIR": str(store_dir), "RUNCARD_HEARTBEAT_SECONDS": "0.2"}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        path = child.stdout.readline().strip()
        client = TestClient(create_app(str(store_dir)))
        page = get(client, "/api/runs", project="feed")
        assert [r["state"] for r in page["runs"]] == ["running"]
        token = page["token"]
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 10
        states = []
        while "crashed" not in states:  # no write marks it: its heartbeat just stops
            assert time.monotonic() < deadline, states
            token, answer = poll(client, token, project="feed")
            states.extend(r["state"] for r in answer["runs"] if r["path"] == path)
            time.sleep(0.1)
        assert get(client, "/api/changes", project="feed", token=token)["runs"] == []
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)


def test_edits_through_the_api_come_back_though_they_move_no_timestamp(store_dir: Path) -> None:
    paths = finished_runs("feed", 3)
    client = TestClient(create_app(str(store_dir)))
    token = get(client, "/api/runs", project="feed")["token"]
    token, answer = poll(client, token, project="feed")
    assert answer["runs"] == []
    edited = runcard.Api(dir=str(store_dir)).run(paths[0])
    edited.config["lr"] = 0.5
    edited.summary["acc"] = 0.75
    edited.update()
    renamed = runcard.Api(dir=str(store_dir)).run(paths[2])
    renamed.name = "renamed"
    renamed.tags = ["kept"]
    renamed.update()
    token, answer = poll(client, token, project="feed")
    rows = {r["path"]: r for r in answer["runs"]}
    assert set(rows) == {paths[0], paths[2]} and answer["created"] == []
    assert rows[paths[0]]["config"]["lr"] == 0.5 and rows[paths[0]]["summary"]["acc"] == 0.75
    assert (rows[paths[2]]["name"], rows[paths[2]]["tags"]) == ("renamed", ["kept"])
    token, answer = poll(client, token, project="feed")
    assert answer["runs"] == []  # once


def test_a_deleted_run_is_reported_so_the_page_reads_itself_again(store_dir: Path) -> None:
    paths = finished_runs("feed", 3)
    client = TestClient(create_app(str(store_dir)))
    token = get(client, "/api/runs", project="feed")["token"]
    runcard.Api(dir=str(store_dir)).run(paths[1]).delete()
    runcard.init(project="feed").finish()  # a run created meanwhile does not hide the delete
    token, answer = poll(client, token, project="feed")
    assert answer["removed"] == 1 and len(answer["created"]) == 1
    token, answer = poll(client, token, project="feed")
    assert (answer["runs"], answer["removed"]) == ([], 0)


def test_a_run_synced_with_old_timestamps_comes_back_as_created(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_feed, "OVERLAP_SECONDS", 0.0)  # its times are older than the window
    monkeypatch.setenv("RUNCARD_DIR", str(tmp_path / "local"))
    offline = runcard.init(project="feed", mode="offline", config={"lr": 0.3})
    offline.log({"loss": 1.0})
    offline.finish()
    edited = runcard.init(project="feed", mode="offline", config={"lr": 0.4})
    edited.finish()
    time.sleep(0.05)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCARD_")}
    command = [sys.executable, "-m", "runcard", "server", "--store", str(store_dir)]
    server = subprocess.Popen([*command, "--port", str(port)], env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while subprocess.run(
            [sys.executable, "-m", "runcard", "sync", "--url", url, edited.path],
            capture_output=True,
        ).returncode:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        client = TestClient(create_app(str(store_dir)))
        token = get(client, "/api/runs", project="feed")["token"]
        later = runcard.Api(dir=str(tmp_path / "local")).run(edited.path)
        later.summary["acc"] = 0.9  # edited here after its first push
        later.update()
        assert (
            subprocess.run([sys.executable, "-m", "runcard", "sync", "--url", url]).returncode == 0
        )
        token, answer = poll(client, token, project="feed")
        rows = {r["path"]: r for r in answer["runs"]}
        assert set(rows) == {offline.path, edited.path}
        assert answer["created"] == [offline.path]
        assert rows[edited.path]["summary"]["acc"] == 0.9
        assert rows[offline.path]["config"]["lr"] == 0.3
    finally:
        server.kill()
        server.wait(10)


# the last two: well-formed tokens whose store marks are past int64, or negative
@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "W10",
        "e30",
        "WzAsIiIsW10sWzExODA1OTE2MjA3MTc0MTEzMDM0MjQsMSwxXV0",
        "WzAsIiIsW10sWy0xLDEsMV1d",
    ],
)
def test_a_token_the_server_did_not_give_is_400(store_dir: Path, token: str) -> None:
    finished_runs("feed", 1)
    client = TestClient(create_app(str(store_dir)))
    assert "token" in get(client, "/api/changes", 400, project="feed", token=token)["error"]


# -- /api/history --------------------------------------------------------------------------
def test_history_since_step_returns_only_the_later_points(store_dir: Path) -> None:
    run = runcard.init(project="hist")
    for step in range(10):
        run.log({"loss": float(step), **({"val": step * 2.0} if step % 3 == 0 else {})})
    run.finish()
    client = TestClient(create_app(str(store_dir)))
    every = get(client, "/api/history", run=run.path)
    assert every["state"] == "finished" and every["metrics"] == ["loss", "val"]
    assert every["series"]["loss"]["steps"] == list(range(10))
    later = get(client, "/api/history", run=run.path, keys="loss,val", since_step=5)["series"]
    assert later["loss"]["steps"] == [6, 7, 8, 9] and later["loss"]["values"][0] == 6.0
    assert later["val"]["steps"] == [6, 9] and later["val"]["last_step"] == 9
    none = get(client, "/api/history", run=run.path, keys="loss", since_step=9)["series"]
    assert none["loss"] == {"points": 0, "last_step": 9, "steps": [], "values": []}


def test_history_of_an_unknown_run_is_404_and_without_a_run_400(store_dir: Path) -> None:
    finished_runs("hist", 1)
    client = TestClient(create_app(str(store_dir)))
    assert get(client, "/api/history", 404, run="hist/nope")["error"]
    assert get(client, "/api/history", 400)["error"]
    assert get(client, "/api/history", 400, run="hist/x", since_step="ten")["error"]


def test_history_polled_while_a_run_logs_misses_and_repeats_nothing(store_dir: Path) -> None:
    run = runcard.init(project="hist")
    run.log({"loss": 0.0, "val": 0.0})
    client = TestClient(create_app(str(store_dir)))

    def train() -> None:
        for step in range(1, 400):
            run.log({"loss": float(step), **({"val": -step} if step % 25 == 0 else {})})
            if step % 50 == 0:
                time.sleep(0.01)
        run.finish()

    worker = threading.Thread(target=train)
    worker.start()
    got: dict[str, list[int]] = {"loss": [], "val": []}
    last = {"loss": -1, "val": -1}
    ended = False
    while not ended:  # as the run page does: one cursor per metric
        states = []
        for key in got:
            answer = get(client, "/api/history", run=run.path, keys=key, since_step=last[key])
            series = answer["series"][key]
            got[key].extend(series["steps"])
            last[key] = series["last_step"]
            states.append(answer["state"])
        ended = all(state != "running" for state in states)
    worker.join()
    assert got["loss"] == list(range(400))
    assert got["val"] == [0, *range(25, 400, 25)]


# -- answers before the whole read ---------------------------------------------------------
@pytest.fixture
def many(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """14 runs with ties and missing values, a column sample of 4 of them, and runs read by id
    3 at a time."""
    monkeypatch.setattr(_catalog, "COLUMN_SAMPLE", 4)
    monkeypatch.setattr(_feed, "IDS_PER_QUERY", 3)
    for i in range(14):
        config = {"lr": [0.1, 0.01, 0.001][i % 3], "seed": i, "opt": {"name": "adam"}}
        if i == 5:
            config["rare"] = True
        run = runcard.init(project="many", config=config)
        if i % 4:
            run.summary["acc"] = round(i * 0.37 % 1, 3)
        run.finish()
    return store_dir


def answers_before_and_after_the_read(store: Path, url: str, **params: Any) -> tuple[Any, Any]:
    app = create_app(str(store))
    client = TestClient(app)
    from_store = get(client, url, **params)
    app.state.catalog.wait_for_reads()
    assert app.state.catalog._cache, "the first answer started the whole read"
    return from_store, get(client, url, **params)


@pytest.mark.parametrize(
    "sort", [None, "created_at", "-summary.acc", "summary.acc", "config.lr", "-config.lr", "name"]
)
@pytest.mark.parametrize("offset", [0, 5, 12])
def test_pages_from_the_store_are_the_pages_from_memory(
    many: Path, sort: str | None, offset: int
) -> None:
    params = {"project": "many", "limit": 5, "offset": offset, **({"sort": sort} if sort else {})}
    before, after = answers_before_and_after_the_read(many, "/api/runs", **params)
    assert before["total"] == after["total"] == 14
    assert [r["path"] for r in before["runs"]] == [r["path"] for r in after["runs"]]
    assert before["runs"] == after["runs"]


def test_columns_from_a_sample_are_marked_partial_until_the_read(many: Path) -> None:
    before, after = answers_before_and_after_the_read(many, "/api/runs", project="many", limit=2)
    assert before["columns_partial"] is True and after["columns_partial"] is False
    assert after["columns"]["config_varying"] == ["config.lr", "config.seed", "config.rare"]
    assert set(before["columns"]["config_varying"]) <= set(after["columns"]["config_varying"])
    small, _ = answers_before_and_after_the_read(
        many, "/api/runs", project="many", limit=2, filter="config.lr=0.1"
    )
    assert small["columns_partial"] is False  # 5 runs: the sample holds them all


def test_groups_and_points_from_the_store_are_those_from_memory(many: Path) -> None:
    params = {"project": "many", "by": "config.lr,state", "metric": "summary.acc"}
    before, after = answers_before_and_after_the_read(many, "/api/groups", **params)
    assert before == after
    assert [g["count"] for g in before["groups"]] == [4, 5, 5]  # lr 0.001, 0.01, 0.1
    keys = "config.lr,config.opt.name,summary.acc,name"
    before, after = answers_before_and_after_the_read(
        many, "/api/points", project="many", keys=keys
    )
    assert before == after and len(before["runs"]) == 14


def test_an_idle_poll_answers_little_more_than_the_next_token(store_dir: Path) -> None:
    finished_runs("feed", 30)
    client = TestClient(create_app(str(store_dir)))
    token = get(client, "/api/changes", project="feed")["token"]
    response = client.get("/api/changes", params={"project": "feed", "token": token})
    answer = json.loads(response.content)
    assert (answer["runs"], answer["created"], answer["live"]) == ([], [], 0)
    assert len(response.content) < len(answer["token"]) + 100
