"""A project with more runs than the web app holds in memory: pages and groups come from the
database, equal to the answers from memory, and no run is kept."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2 in place of httpx; both work here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import runcard
from runcard import _state
from runcard.web import _paged
from runcard.web._app import create_app

LRS = (0.1, 0.01, 0.001)


@pytest.fixture(scope="module")
def large_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large") / "store"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNCARD_DIR", str(root))
        for i in range(24):
            config: dict[str, Any] = {"lr": LRS[i % 3], "seed": i, "k": [1, 1.0, None, "x"][i % 4]}
            if i % 5 == 0:
                del config["k"]
            run = runcard.init(project="big", name=f"r{i}", config=config)
            run.summary["acc"] = 0.5 + 0.01 * i
            run.summary["loss"] = 2.0 - 0.03 * i
            run.finish()
    _state.current_run.set(None)
    return root


def answers(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def both(store: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, TestClient, Any]:
    """An app that holds the project in memory, and one for which it is too large to."""
    held = TestClient(create_app(str(store)))
    answers(held, "/api/runs", project="big")
    held.app.state.catalog.wait_for_reads()  # type: ignore[attr-defined]
    monkeypatch.setattr(_paged, "HELD_RUNS", 5)
    large_app = create_app(str(store))
    return held, TestClient(large_app), large_app.state.catalog


def rows(page: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["path"], r["name"], r["config"], r["summary"]) for r in page["runs"]]


def test_pages_of_a_large_project_equal_the_pages_from_memory(
    large_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, large, catalog = both(large_store, monkeypatch)
    for params in (
        {},
        {"sort": "-summary.acc"},
        {"sort": "summary.loss", "offset": 5, "limit": 7},
        {"filter": '{"config.lr": 0.1}'},
    ):
        want = answers(held, "/api/runs", project="big", **params)
        got = answers(large, "/api/runs", project="big", **params)
        assert got["total"] == want["total"] and rows(got) == rows(want), params
        assert (got["columns"], got["columns_partial"]) == (want["columns"], False)
    catalog.wait_for_reads()
    assert catalog._cache == {}  # nothing of the project is held


def test_groups_of_a_large_project_equal_the_groups_from_memory(
    large_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, large, catalog = both(large_store, monkeypatch)
    for params in (
        {"by": "config.lr", "metric": "summary.acc"},
        {"by": "config.k", "metric": "summary.acc,summary.loss"},  # 1 and 1.0 one group
        {"by": "config.lr", "all_except": "config.seed"},
    ):
        want = answers(held, "/api/groups", project="big", **params)
        got = answers(large, "/api/groups", project="big", **params)
        assert (got["keys"], got["metrics"], got["total"]) == (
            want["keys"],
            want["metrics"],
            want["total"],
        )
        assert [(g["values"], g["count"]) for g in got["groups"]] == [
            (g["values"], g["count"]) for g in want["groups"]
        ], params
        for mine, theirs in zip(got["groups"], want["groups"], strict=True):
            for metric, found in theirs["stats"].items():
                for name in ("n", "mean", "std", "min", "max"):
                    assert mine["stats"][metric][name] == pytest.approx(found[name]), name
    catalog.wait_for_reads()
    assert catalog._cache == {}
