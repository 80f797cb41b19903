"""`runcard demo`, the README's main job, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import runcard


def test_demo_records_a_sweep_and_prints_it_compared(
    make_store: Callable[[str], Path | str],
) -> None:
    store = make_store("demo-store")
    result = subprocess.run(
        [sys.executable, "-m", "runcard", "demo", "--dir", str(store), "--seeds", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    runs = runcard.Api(dir=str(store)).runs("demo")
    assert len(runs) == 12
    assert all(r.state == "finished" and len(r.history(pandas=False)) == 10 for r in runs)
    assert {(r.config["learning_rate"], r.config["batch_size"]) for r in runs} == {
        (lr, b) for lr in (0.1, 0.01, 0.001) for b in (32, 64)
    }
    assert "Recorded 12 runs" in result.stdout
    assert "learning_rate  batch_size  runs" in result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("learning"))
    assert header.split() == [
        "learning_rate",
        "batch_size",
        "runs",
        "val_acc",
        "val_acc",
        "95%",
        "CI",
    ]
    assert "6 groups of 12 runs by learning_rate, batch_size" in result.stdout
    assert "Best setting: learning_rate=0.01, batch_size=32" in result.stdout
