"""examples/hydra_app runs as its README says: a sweep of four runs in one group."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import runcard

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hydra_app" / "my_app.py"


def test_example_sweep(api: runcard.Api, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLE), "-m", "lr=0.001,0.01", "model=small,large"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=180,
    )
    runs = api.runs("hydra-example", order="name")
    assert [r.name for r in runs] == [
        "my_app-large-1",
        "my_app-large-3",
        "my_app-small-0",
        "my_app-small-2",
    ]
    assert len({r.group for r in runs}) == 1
    for run in runs:
        assert run.state == "finished"
        assert run.config["run_tag"] == f"{run.config['model']['name']}-adam-{run.config['lr']}"
        assert run.provenance()["model.name"][0]["source"] == "hydra"
        assert run.provenance()["hydra.runtime.choices.model"][0]["source"] == "hydra-override"
        assert run.summary["final_loss"] < 1
        assert list(run.tags) == ["example"]


def test_example_single_run_name(api: runcard.Api, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=tmp_path, check=True, capture_output=True, timeout=180
    )
    (run,) = api.runs("hydra-example")
    assert run.name == "my_app-small"
