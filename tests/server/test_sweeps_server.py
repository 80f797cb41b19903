"""A sweep kept by `runcard server` (PostgreSQL in the server env), with agents on two
"machines" (two local stores) pointed at it through RUNCARD_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from serving import Server

import runcard

AGENT = """
import sys, runcard
def train():
    run = runcard.init()
    runcard.log({"loss": run.config["lr"] * run.config["batch"]})
runcard.agent(sys.argv[1], function=train)
"""


def test_two_agents_through_the_server_run_each_grid_point_once(
    server: Server, local_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNCARD_URL", server.url)
    spec = {
        "method": "grid",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"lr": {"values": [0.1, 0.01, 0.001]}, "batch": {"values": [8, 16, 32, 64]}},
    }
    sweep_id = runcard.sweep(spec, project="team")
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    agents = [
        subprocess.Popen(
            [sys.executable, str(script), sweep_id],
            env={**os.environ, "RUNCARD_DIR": str(tmp_path / f"machine{i}")},
        )
        for i in range(2)
    ]
    assert [agent.wait(timeout=180) for agent in agents] == [0, 0]
    remote = runcard.Api(url=server.url)
    runs = remote.runs("team", filters={"sweep": sweep_id})
    points = sorted((r.config["lr"], r.config["batch"]) for r in runs)
    assert points == sorted((lr, b) for lr in (0.1, 0.01, 0.001) for b in (8, 16, 32, 64))
    assert {r.state for r in runs} == {"finished"}
    # both machines took part, and the server knows the sweep's runs and best value
    assert all(any((tmp_path / f"machine{i}").iterdir()) for i in range(2))
    (listed,) = runcard._sweep.sweeps("team")
    assert listed["state"] == "finished" and len(listed["runs"]) == 12
    assert min(slot["value"] for slot in listed["runs"]) == pytest.approx(0.008)


def test_an_agent_for_a_sweep_the_server_lacks_is_a_usage_error(
    server: Server, local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNCARD_URL", server.url)
    with pytest.raises(runcard.UsageError, match="no sweep 'nope'"):
        runcard.agent("nope", function=lambda: None)
