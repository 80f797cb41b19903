"""`runcard import wandb` on offline run folders written by wandb itself: equal config,
history (steps, times, nested keys dotted) and summary, tags, notes, group and state; importing
again stores nothing twice; a damaged file is named and the rest imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runcard
from runcard.testing import assert_config_source, assert_logged_each

SCRIPT = """
import json, sys, time
import wandb

logged = {}
for name, exit_code in (("good", 0), ("bad", 1)):
    run = wandb.init(
        project="cifar",
        name=name,
        group="search",
        tags=["base", name],
        notes=f"the {name} one",
        config={"lr": 0.01, "model": {"depth": 3, "act": "relu"}, "layers": [64, 32]},
        mode="offline",
    )
    rows = []
    for step in range(1200):
        row = {"loss": 1.0 / (step + 1), "val": {"acc": step / 2000}}
        if step % 100 == 0:
            row["note"] = f"step {step}"
        run.log(row, step=step)
        rows.append(row)
    run.config.update({"batch_size": 32})
    run.summary["best_acc"] = 0.9
    logged[run.id] = rows
    run.finish(exit_code=exit_code)
json.dump(logged, open(sys.argv[1], "w"))
"""


@pytest.fixture(scope="module")
def wandb_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list]]:
    folder = tmp_path_factory.mktemp("wandb-runs")
    env = {
        **os.environ,
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_DIR": str(folder),
        "HOME": str(folder),
        "DO_NOT_TRACK": "1",
    }
    (folder / "train.py").write_text(SCRIPT)
    subprocess.run(
        [sys.executable, "train.py", "logged.json"], cwd=folder, env=env, check=True, timeout=300
    )
    return folder / "wandb", json.loads((folder / "logged.json").read_text())


def import_wandb(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runcard", "import", "wandb", str(folder), *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=dict(os.environ)
    )


def test_offline_runs_come_in_with_config_history_and_summary(wandb_dir) -> None:
    folder, logged = wandb_dir
    result = import_wandb(folder)
    assert result.returncode == 0, result.stderr
    assert "2 runs from wandb" in result.stdout and "/cifar" in result.stdout
    runs = {run.name: run for run in runcard.Api().runs("cifar")}
    good, bad = runs["good"], runs["bad"]
    assert good.config == {
        "lr": 0.01,
        "model": {"depth": 3, "act": "relu"},
        "layers": [64, 32],
        "batch_size": 32,
    }
    assert_config_source(good, "batch_size", "import:wandb")
    assert_logged_each(good, "loss")
    assert (good.group, good.tags, good.notes) == ("search", ["base", "good"], "the good one")
    assert (good.state, bad.state) == ("finished", "failed")
    for run in (good, bad):
        history = run.history(pandas=False)
        expected = logged[run.id]
        assert [row["_step"] for row in history] == list(range(1200))
        assert [row["loss"] for row in history] == [row["loss"] for row in expected]
        assert [row["val.acc"] for row in history] == [row["val"]["acc"] for row in expected]
        assert [row.get("note") for row in history] == [row.get("note") for row in expected]
        times = [row["_timestamp"] for row in history]
        assert times == sorted(times) and good.created_at is not None
    assert good.summary["best_acc"] == 0.9 and good.summary["loss"] == 1 / 1200
    assert good.summary["val.acc"] == 1199 / 2000


def test_importing_twice_stores_nothing_twice(wandb_dir) -> None:
    folder, _ = wandb_dir
    assert import_wandb(folder, "--project", "p").returncode == 0
    before = [(r.id, r.history(pandas=False), r.config, r.summary) for r in runcard.Api().runs("p")]
    again = import_wandb(folder, "--project", "p")
    assert again.returncode == 0 and "0 new, 0 history rows added" in again.stdout
    after = [(r.id, r.history(pandas=False), r.config, r.summary) for r in runcard.Api().runs("p")]
    assert after == before


def test_a_damaged_run_file_is_named_and_the_others_come_in(wandb_dir, tmp_path: Path) -> None:
    folder, _ = wandb_dir
    copy = tmp_path / "wandb"
    files = sorted(folder.rglob("run-*.wandb"))
    for number, source in enumerate(files):
        target = copy / source.parent.name / source.name
        target.parent.mkdir(parents=True)
        data = source.read_bytes()
        target.write_bytes(data if number else data[:-5000] + b"\x00\x07\xff" * 3)
    (copy / "run-junk.wandb").write_bytes(b"junk")
    result = import_wandb(copy, "--project", "damaged")
    assert result.returncode == 0, result.stderr
    assert str(copy / files[0].parent.name / files[0].name) in result.stderr
    assert "run-junk.wandb" in result.stderr and "not a .wandb file" in result.stderr
    whole = [r for r in runcard.Api().runs("damaged") if len(r.history(pandas=False)) == 1200]
    assert len(whole) == 1
