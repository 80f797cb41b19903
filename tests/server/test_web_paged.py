"""The web app's answers about a project larger than it holds, on the test's store (PostgreSQL
in the `server` env): pages and groups asked of the database equal the answers from memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import runcard
from runcard.web import _paged
from runcard.web._catalog import Catalog


def test_pages_and_groups_from_the_database_equal_those_from_memory(
    store_dir: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(14):
        config: dict[str, Any] = {"lr": (0.1, 0.01)[i % 2], "k": [1, 1.0, None, "x"][i % 4]}
        if i % 5 == 0:
            del config["k"]
        run = runcard.init(project="big", name=f"r{i}", config=config)
        run.summary["acc"] = 0.5 + 0.01 * i
        run.finish()
    held = Catalog(str(store_dir))
    want_page = held.runs_page("big", None, "-summary.acc", 2, 5)
    want_groups = held.groups("big", None, ["config.k"], [], ["summary.acc"])
    held.wait_for_reads()
    monkeypatch.setattr(_paged, "HELD_RUNS", 5)
    large = Catalog(str(store_dir))
    page = large.runs_page("big", None, "-summary.acc", 2, 5)
    groups = large.groups("big", None, ["config.k"], [], ["summary.acc"])
    assert [r["path"] for r in page["runs"]] == [r["path"] for r in want_page["runs"]]
    assert page["total"] == want_page["total"] == 14
    assert [(g["values"], g["count"]) for g in groups["groups"]] == [
        (g["values"], g["count"]) for g in want_groups["groups"]
    ]
    for mine, theirs in zip(groups["groups"], want_groups["groups"], strict=True):
        for name in ("n", "mean", "std", "min", "max"):
            got, want = mine["stats"]["summary.acc"][name], theirs["stats"]["summary.acc"][name]
            assert got == pytest.approx(want), name
    large.wait_for_reads()
    assert large._cache == {}
