"""The Ray Tune example, as a user runs it: it starts its own local cluster."""

from __future__ import annotations

from pathlib import Path

import runcard
from helpers import REPO, run_script

EXAMPLE = REPO / "examples" / "ray_tune_search.py"


def test_the_example_script_runs_and_records_every_trial(store_dir: Path) -> None:
    result = run_script(EXAMPLE, env={"RUNCARD_DIR": str(store_dir)})

    runs = runcard.Api().runs("tune-example")
    assert len(runs) == 6
    assert {run.group for run in runs} == {"tune-example"}
    assert "finished" in {run.state for run in runs}
    assert {run.state for run in runs} <= {"finished", "stopped"}
    for run in runs:
        assert run.path in result.stdout
        steps, losses = run.metric("loss")
        assert steps == list(range(1, len(steps) + 1))
        assert run.metric("worker.loss_squared") == (steps, [loss * loss for loss in losses])
