"""`runcard export`: runs and history out to Parquet, CSV and JSONL, read back by pandas, polars
and DuckDB with values and column types kept."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

import runcard


def export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", "export", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def record_runs() -> list[runcard.Run]:
    runs = []
    for i, (lr, optimizer) in enumerate([(0.1, "adam"), (0.01, "sgd"), (0.001, "adam")]):
        config = {"lr": lr, "optimizer": optimizer, "model": {"depth": 2 + i}, "amp": i == 1}
        if i < 2:
            config["epochs"] = 10 * (i + 1)
        run = runcard.init(project="mnist", config=config, tags=["base", f"t{i}"])
        for step in range(4):
            run.log({"loss": 1.0 / (step + 1 + i), "epoch": step}, step=step)
        run.log({"note": "done"}, step=4)
        run.summary["best_step"] = 3
        run.finish()
        runs.append(run)
    return runs


def test_parquet_keeps_values_and_types_for_pandas_polars_and_duckdb(tmp_path: Path) -> None:
    runs = record_runs()
    target = tmp_path / "runs.parquet"
    result = export("mnist", "--to", str(target))
    assert result.returncode == 0, result.stderr
    assert "3 runs ->" in result.stdout

    frame = pd.read_parquet(target)
    assert list(frame["id"]) == [r.id for r in runs]
    assert list(frame["config.lr"]) == [0.1, 0.01, 0.001]
    assert str(frame["config.lr"].dtype) == "float64"
    assert str(frame["config.model.depth"].dtype) == "int64"
    assert list(frame["config.model.depth"]) == [2, 3, 4]
    assert str(frame["config.epochs"].dtype) == "Int64"  # the third run has none
    assert list(frame["config.epochs"].iloc[:2]) == [10, 20] and frame["config.epochs"].isna()[2]
    assert str(frame["config.amp"].dtype) == "bool"
    assert list(frame["config.optimizer"]) == ["adam", "sgd", "adam"]
    assert str(frame["summary.best_step"].dtype) == "int64"
    assert list(frame["state"]) == ["finished"] * 3
    assert [list(t) for t in frame["tags"]] == [["base", "t0"], ["base", "t1"], ["base", "t2"]]
    assert str(frame["created_at"].dtype).startswith("datetime64") and "UTC" in str(
        frame["created_at"].dtype
    )

    polars_frame = pl.read_parquet(target)
    assert polars_frame["config.model.depth"].dtype == pl.Int64
    assert polars_frame["config.lr"].to_list() == [0.1, 0.01, 0.001]
    assert polars_frame["config.epochs"].to_list() == [10, 20, None]

    by_optimizer = duckdb.sql(
        f"SELECT \"config.optimizer\" AS o, count(*) AS n FROM '{target}' GROUP BY o ORDER BY o"
    ).fetchall()
    assert by_optimizer == [("adam", 2), ("sgd", 1)]


def test_history_is_a_long_table_of_every_logged_value(tmp_path: Path) -> None:
    runs = record_runs()
    target = tmp_path / "runs.parquet"
    result = export("mnist", "--to", str(target), "--history")
    assert result.returncode == 0, result.stderr
    history = pd.read_parquet(tmp_path / "runs.history.parquet")
    assert len(history) == 3 * (4 * 2 + 1)
    first = history[history["run_id"] == runs[0].id]
    losses = first[first["key"] == "loss"]
    assert list(losses["step"]) == [0, 1, 2, 3]
    assert list(losses["value"]) == [1.0, 1 / 2, 1 / 3, 1 / 4]
    note = first[first["key"] == "note"].iloc[0]
    assert math.isnan(note["value"]) and json.loads(note["value_text"]) == "done"
    assert str(history["time"].dtype).startswith("datetime64")
    stored = runcard.Api().run(runs[0].path).history(pandas=False)
    assert list(losses["time"].map(lambda t: t.timestamp())) == [
        pytest_approx(row["_timestamp"]) for row in stored if "loss" in row
    ]


def pytest_approx(value: float) -> object:
    import pytest

    return pytest.approx(value, abs=1e-6)


def test_csv_and_jsonl_read_back_into_pandas(tmp_path: Path) -> None:
    runs = record_runs()
    for suffix in ("csv", "jsonl"):
        target = tmp_path / f"runs.{suffix}"
        result = export("mnist", "--to", str(target), "--history", "--filter", "config.lr<0.05")
        assert result.returncode == 0, result.stderr
        read = pd.read_csv if suffix == "csv" else lambda p: pd.read_json(p, lines=True)
        frame = read(target)
        assert list(frame["id"]) == [runs[1].id, runs[2].id]
        assert list(frame["config.model.depth"]) == [3, 4]
        history = read(tmp_path / f"runs.history.{suffix}")
        assert set(history["run_id"]) == {runs[1].id, runs[2].id}
        assert len(history) == 2 * 9


def test_a_bad_target_names_the_file_and_writes_nothing(tmp_path: Path) -> None:
    record_runs()
    wrong = export("mnist", "--to", str(tmp_path / "runs.xlsx"))
    assert wrong.returncode == 2
    assert "runs.xlsx" in wrong.stderr and ".parquet, .csv, .jsonl" in wrong.stderr
    unwritable = export("mnist", "--to", str(tmp_path / "missing" / "runs.csv"))
    assert unwritable.returncode == 2 and "missing/runs.csv" in unwritable.stderr
    none = export("other", "--to", str(tmp_path / "runs.csv"))
    assert none.returncode == 1 and "no runs to export" in none.stderr
    assert not list(tmp_path.glob("runs.*"))


def test_the_pandas_example_runs_and_answers(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "analyse_exported_runs.py"
    result = subprocess.run(
        [sys.executable, str(example), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # the first table's rows, under its "config.lr" header: best mean first
    table = next(i for i, line in enumerate(lines) if line.startswith("config.lr")) + 1
    assert [line.split()[0] for line in lines[table : table + 3]] == ["0.100", "0.010", "0.001"]
    assert "0.100    7.5" in result.stdout  # epochs to reach 90 %, lr 0.1
    assert (tmp_path / "runs.parquet").exists() and (tmp_path / "runs.history.parquet").exists()


def test_api_runs_to_pandas_is_one_typed_row_per_run() -> None:
    runs = record_runs()
    frame = runcard.Api().runs("mnist", order="created_at").to_pandas()
    assert list(frame["id"]) == [r.id for r in runs]
    assert list(frame["config.model.depth"]) == [2, 3, 4]
    assert str(frame["config.model.depth"].dtype) == "int64"
    assert str(frame["config.epochs"].dtype) == "Int64"
    assert list(frame["summary.loss"]) == [1 / 4, 1 / 5, 1 / 6]
    assert str(frame["config.amp"].dtype) == "bool"
    chosen = runcard.Api().runs("mnist", filters={"config.optimizer": "sgd"}).to_pandas()
    assert list(chosen["id"]) == [runs[1].id]
    assert runcard.Api().runs("nothing").to_pandas().empty
