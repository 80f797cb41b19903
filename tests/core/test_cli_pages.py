"""`runcard runs` shows a page (the newest 50, --limit N, --all) and says how many matched;
--format json / csv write every match; --sort is the database's order. Run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest

import runcard


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def many() -> list[str]:
    """60 runs of project big, ids newest first; val_acc missing in every seventh."""
    for i in range(60):
        run = runcard.init(project="big", id=f"r{i:02d}", config={"lr": [0.1, 0.01][i % 2]})
        if i % 7:
            run.summary["val_acc"] = (i * 37 % 61) / 61
        run.finish()
    return [run.id for run in runcard.Api().runs("big", order="-created_at")]


def ids_in_table(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line.startswith("r")]


def test_the_table_shows_the_newest_50_and_says_how_many_matched(many: list[str]) -> None:
    shown = cli("runs", "big")
    assert shown.returncode == 0, shown.stderr
    assert ids_in_table(shown.stdout) == many[:50]
    assert "50 of 60 matching runs" in shown.stdout
    limited = cli("runs", "big", "--limit", "7")
    assert ids_in_table(limited.stdout) == many[:7] and "7 of 60 matching runs" in limited.stdout
    every = cli("runs", "big", "--all")
    assert ids_in_table(every.stdout) == many and "60 runs" in every.stdout
    assert "matching" not in every.stdout
    both = cli("runs", "big", "--all", "--limit", "3")
    assert both.returncode == 2 and "--limit and --all" in both.stderr


def test_sort_pages_in_the_database_order(many: list[str]) -> None:
    api = runcard.Api()
    expected = [r.id for r in api.runs("big", order="-summary.val_acc")]
    values = [r.summary.get("val_acc") for r in api.runs("big", order="-summary.val_acc")]
    assert values[:51] == sorted(values[:51], reverse=True) and set(values[51:]) == {None}
    shown = cli("runs", "big", "--sort=-val_acc", "--limit", "20")
    assert shown.returncode == 0, shown.stderr
    assert ids_in_table(shown.stdout) == expected[:20]
    assert "20 of 60 matching runs (by -val_acc first" in shown.stdout
    rising = cli("runs", "big", "--sort", "val_acc", "--all")
    assert (
        ids_in_table(rising.stdout)[:51]
        == [r.id for r in api.runs("big", order="+summary.val_acc")][:51]
    )


def test_json_and_csv_write_every_match(many: list[str]) -> None:
    written = cli("runs", "big", "--format", "json")
    assert written.returncode == 0, written.stderr
    records = json.loads(written.stdout)
    assert [r["id"] for r in records] == many
    run = runcard.Api().run(f"{records[3]['entity']}/big/{records[3]['id']}")
    assert records[3]["config.lr"] == run.config["lr"]
    assert records[3].get("summary.val_acc") == run.summary.get("val_acc")
    assert "summary.val_acc" not in records[many.index("r56")]  # missing, not null
    table = list(csv.reader(io.StringIO(cli("runs", "big", "--format", "csv").stdout)))
    assert [row[table[0].index("id")] for row in table[1:]] == many
    sorted_json = json.loads(cli("runs", "big", "--format", "json", "--sort=-val_acc").stdout)
    expected = [r.id for r in runcard.Api().runs("big", order="-summary.val_acc")]
    assert [r["id"] for r in sorted_json] == expected
    assert json.loads(cli("runs", "big", "--format", "json", "--limit", "2").stdout) == records[:2]


def test_an_unknown_sort_key_is_a_usage_error_naming_it(many: list[str]) -> None:
    answer = cli("runs", "big", "--sort", "-val_accc")
    assert answer.returncode == 2 and "'val_accc'" in answer.stderr


def test_a_key_only_older_runs_hold_still_sorts(many: list[str]) -> None:
    old = runcard.init(project="big", id="oldest", config={"rare": 3})
    old.finish()
    # 61 runs; "oldest" is the newest now, so make a key held only outside the first page
    for i in range(55):
        runcard.init(project="big", id=f"n{i:02d}").finish()
    shown = cli("runs", "big", "--sort", "-rare", "--limit", "1")
    assert shown.returncode == 0, shown.stderr
    assert "oldest" in shown.stdout


def test_groups_the_database_counts_equal_the_groups_made_from_runs() -> None:
    """--format csv groups in the database; --format json (which lists each group's runs)
    groups the runs read: their counts and aggregates agree, 7 and 7.0 as one group and a
    missing key and a null as two more."""
    depths: list[Any] = [7, 7.0, 3, None, "MISSING", 3, 7, 3.0, "deep"]
    for i, depth in enumerate(depths * 3):
        config = {} if depth == "MISSING" else {"depth": depth}
        run = runcard.init(project="g", id=f"g{i:02d}", config=config)
        run.summary.update({"val_acc": (i * 13 % 17) / 17, "flag": True} if i % 4 else {})
        run.finish()
    aggregates = "count,mean,std,ci,min,max,sem"
    args = ["runs", "g", "--group-by", "depth", "--columns", "val_acc", "--agg", aggregates]
    table = list(csv.reader(io.StringIO(cli(*args, "--format", "csv").stdout)))
    from_runs = json.loads(cli(*args, "--format", "json").stdout)
    header, rows = table[0], table[1:]
    assert len(rows) == len(from_runs) == 5  # 7, 3, "deep", null, missing
    for row, expected in zip(rows, from_runs, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert int(cells["runs"]) == expected["runs"]
        stats = expected["metrics"]["summary.val_acc"]
        assert int(cells["summary.val_acc.count"]) == stats["count"]
        for name in ("mean", "std", "min", "max", "sem"):
            assert float(cells[f"summary.val_acc.{name}"]) == pytest.approx(stats[name])
        assert [
            float(cells["summary.val_acc.ci95_low"]),
            float(cells["summary.val_acc.ci95_high"]),
        ] == pytest.approx(stats["ci95"])
    assert [float(rows[0][0]), float(rows[1][0])] == [3, 7]  # 3 or 3.0: either run's value
    assert [row[0] for row in rows[2:]] == ["deep", "null", ""]
