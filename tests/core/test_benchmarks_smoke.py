"""`python -m benchmarks --quick` runs, checks runcard's data and prints every row.

A smoke test only: it never asserts a timing (targets are benchmarks, not timed tests)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO

EXPECTED_ROWS = {
    "import",
    "init_finish",
    "init_finish_new_store",
    "log_rate",
    "log_cost",
    "log_rate_step",
    "log_cost_step",
    "log_rss",
    "log_rss_long",
    "log_rss_disk_full",
    "config_update",
    "read_history",
    "read_metric",
    "bytes_per_value",
    "kill_window",
    "kill_window_worst",
    "kill_step_2",
    "kill_step_20",
    "kill_step_300",
    "kill_step_5000",
    "scale_api",
    "scale_api_rss",
    "scale_api_keys",
    "scale_group",
    "scale_page",
    "scale_sort",
    "sweeps",
    "importance",
}


def test_benchmarks_quick(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCARD_")}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    rows = json.loads(out.read_text())["rows"]
    assert {r["key"] for r in rows} >= EXPECTED_ROWS
    analysis = importlib.util.find_spec("sklearn") is not None  # the `analysis` extra
    for r in rows:
        assert r["title"] in result.stdout
        if r["key"] == "importance" and not analysis:
            assert "runcard[analysis]" in r["tools"]["runcard"]["skipped"]
            continue
        if r["tools"]["runcard"]["skipped"]:  # another row needing an extra the env lacks (optuna)
            assert r["key"] not in EXPECTED_ROWS, r["title"]
            continue
        assert r["problems"] == [], r["title"]
        assert r["value"] is not None and r["value"] >= 0, r["title"]
        assert len(r["tools"]["runcard"]["samples"]) >= 2, r["title"]  # SIGKILL rows: 4 per rep
