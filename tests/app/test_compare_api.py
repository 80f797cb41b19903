"""The comparing views' endpoints (issue 21): /api/curves (a metric against a chosen x axis,
and a group's spread) and /api/importance, against the app tests' demo store."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2 in place of httpx; both work here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from runcard.web._app import create_app


@pytest.fixture(scope="module")
def client(store: tuple[Path, dict[str, Any]]) -> TestClient:
    return TestClient(create_app(str(store[0])))


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text
    return response.json()


def test_curves_against_step_wall_and_relative_time(client: TestClient, store: Any) -> None:
    runs = ",".join(store[1]["demo"][:2])
    by_step = get(client, "/api/curves", runs=runs, key="loss")
    assert [len(s["x"]) for s in by_step["series"]] == [40, 40]
    assert by_step["series"][0]["x"] == list(range(40))
    assert by_step["series"][0]["y"][:2] == [1.0, 0.5]
    wall = get(client, "/api/curves", runs=runs, key="loss", x="wall")["series"][0]["x"]
    assert wall == sorted(wall) and wall[0] > 1.7e9  # seconds since 1970
    relative = get(client, "/api/curves", runs=runs, key="loss", x="relative")["series"][0]["x"]
    assert relative[0] == 0 and relative == [t - wall[0] for t in wall]


def test_curves_against_another_logged_key(client: TestClient, store: Any) -> None:
    run = store[1]["demo"][0]
    # acc of this run is 0.79 * (step + 1) / 40: as x it maps each loss point to its step's acc
    answer = get(client, "/api/curves", runs=run, key="loss", x="acc")["series"][0]
    assert answer["x"][0] == pytest.approx(0.79 / 40) and answer["y"][0] == 1.0
    missing = get(client, "/api/curves", runs=run, key="loss", x="nope")["series"][0]
    assert missing["x"] == [] and missing["points"] == 0


def test_spread_gives_mean_std_band_and_min_max(client: TestClient, store: Any) -> None:
    runs = ",".join(store[1]["demo"][:3])  # final acc 0.79, 0.81, 0.80
    spread = get(client, "/api/curves", runs=runs, key="acc", spread=1, points=40)
    assert spread["runs"] == 3 and len(spread["steps"]) == 40
    assert spread["max"][-1] == pytest.approx(0.81) and spread["min"][-1] == pytest.approx(0.79)
    assert spread["mean"][-1] == pytest.approx(0.80)
    for lo, mean, hi in zip(spread["low"], spread["mean"], spread["high"], strict=True):
        assert lo <= mean <= hi


def test_bad_curve_and_importance_requests_are_400s(client: TestClient) -> None:
    assert "key=METRIC" in get(client, "/api/curves", 400, runs="a/b/c")["error"]
    assert "project" in get(client, "/api/importance", 400)["error"]


def test_importance_picks_a_varying_metric_and_says_when_runs_are_too_few(
    client: TestClient, store: Any
) -> None:
    project = store[1]["demo"][0].rsplit("/", 1)[0]
    answer = get(client, "/api/importance", project=project)
    assert answer["metric"] == "summary.acc"  # loss ends at 1/40 in every run: it never varies
    assert answer["runs"] == 6 and answer["keys"] == []
    assert "at least 10" in answer["message"]
    assert "config.epochs" in answer["constant"]
