"""Sweeps from the command line: program agents with wandb's macros, states, listing; hyperband;
a crashed run's slot offered again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import runcard
from runcard._cli import main

PROGRAM = """
import json, sys, runcard
run = runcard.init(config={"lr": 9.0})
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"argv": sys.argv[2:], "config": dict(run.config)}) + "\\n")
runcard.log({"loss": run.config["lr"]})
"""


def _sweep_file(tmp_path: Path, command: list[str], **extra: object) -> Path:
    (tmp_path / "train.py").write_text(PROGRAM)
    spec = {
        "program": "train.py",
        "method": "grid",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {
            "lr": {"values": [0.5]},
            "aug": {"values": [True]},
            "drop": {"values": [False]},
            "opt": {"parameters": {"name": {"value": "adam"}}},
        },
        "command": command,
        **extra,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps(spec))  # JSON is YAML
    return path


def _cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_program_agent_passes_wandbs_macros_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "seen.jsonl"
    command = [
        "${env}",
        "${interpreter}",
        "${program}",
        str(log),
        "${args}",
        "|",
        "${args_no_hyphens}",
        "|",
        "${args_no_boolean_flags}",
        "|",
        "${args_json}",
        "|",
        "${args_json_file}",
        "${unknown}",
    ]
    path = _sweep_file(tmp_path, command, project="prog")
    code, out, _ = _cli("sweep", str(path), capsys=capsys)
    assert code == 0
    sweep_id = out.strip()
    code, out, _ = _cli("agent", sweep_id, capsys=capsys)
    assert (code, out.strip()) == (0, f"agent: 1 run of sweep {sweep_id}")
    (seen,) = [json.loads(line) for line in log.read_text().splitlines()]
    values = {"lr": 0.5, "aug": True, "drop": False, "opt": {"name": "adam"}}
    json_file = seen["argv"][-1]
    assert seen["argv"] == [
        "--lr=0.5",
        "--aug=True",
        "--drop=False",
        "--opt={'name': 'adam'}",
        "|",
        "lr=0.5",
        "aug=True",
        "drop=False",
        "opt={'name': 'adam'}",
        "|",
        "--lr=0.5",
        "--aug",
        "--opt={'name': 'adam'}",
        "|",
        json.dumps(values),
        "|",
        json_file,
    ]
    assert json.loads(Path(json_file).read_text()) == values
    assert seen["config"] == values  # the sweep's values won over the program's lr=9.0
    code, out, _ = _cli("runs", "prog", "--filter", f"sweep={sweep_id}", capsys=capsys)
    assert code == 0 and out.strip().endswith("\n1 run")
    code, out, _ = _cli("runs", "prog", "--filter", "sweep=other", capsys=capsys)
    assert code == 1 and not out  # no run matches: exit code 1
    run_id = runcard.Api().runs("prog")[0].id
    code, out, _ = _cli("show", f"prog/{run_id}", capsys=capsys)
    assert code == 0 and f"sweep     {sweep_id}" in out


def test_sweep_states_and_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _sweep_file(tmp_path, ["${env}", "${interpreter}", "${program}", os.devnull])
    path.write_text(path.read_text().replace('"values": [0.5]', '"values": [0.5, 0.25, 0.125]'))
    _, out, _ = _cli("sweep", str(path), "--project", "states", capsys=capsys)
    sweep_id = out.strip()
    assert _cli("agent", sweep_id, "--count", "1", capsys=capsys)[0] == 0
    assert _cli("sweep", "--pause", sweep_id, capsys=capsys)[:2] == (
        0,
        f"sweep {sweep_id}: paused\n",
    )
    assert _cli("agent", sweep_id, capsys=capsys)[1].startswith("agent: 0 runs")
    assert _cli("sweep", "--resume", sweep_id, capsys=capsys)[0] == 0
    assert _cli("agent", sweep_id, "--count", "1", capsys=capsys)[1].startswith("agent: 1 run ")
    code, out, _ = _cli("sweeps", "states", capsys=capsys)
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split() == [
        "id",
        "name",
        "project",
        "method",
        "state",
        "runs",
        "done",
        "running",
        "failed",
        "best",
    ]
    assert row.split() == [sweep_id, "states", "grid", "running", "2", "2", "0", "0", "loss=0.25"]
    assert _cli("sweep", "--cancel", sweep_id, capsys=capsys)[0] == 0
    assert _cli("agent", sweep_id, capsys=capsys)[1].startswith("agent: 0 runs")
    assert _cli("sweep", "--stop", "nosuchid", capsys=capsys)[0] == 2
    code, _, err = _cli("sweep", str(tmp_path / "missing.yaml"), capsys=capsys)
    assert code == 2 and "missing.yaml" in err


def test_an_invalid_sweep_file_is_a_usage_error_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("method: random\nparameters:\n  lr:\n    min: 0.1\n    max: 0.01\n")
    code, _, err = _cli("sweep", str(path), capsys=capsys)
    assert code == 2 and "parameters.lr.max" in err


STEPPED = """
import runcard, time
run = runcard.init()
for step in range(40):
    runcard.log({"loss": run.config["slope"] * (step + 1)})
    time.sleep(0.05)
"""


def test_hyperband_stops_a_bad_run_while_a_good_one_goes_on() -> None:
    spec = {
        "method": "grid",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"slope": {"values": [-1.0, 1.0]}},  # the good run first, then the bad
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
    }
    sweep_id = runcard.sweep(spec, project="hb")

    def train() -> None:
        run = runcard.init(config={"slope": 0})
        for step in range(40):
            runcard.log({"loss": run.config["slope"] * (step + 1)})
            time.sleep(0.02)

    assert runcard.agent(sweep_id, function=train) == 2
    runs = {r.config["slope"]: r for r in runcard.Api().runs("hb")}
    assert runs[-1.0].state == "finished" and runs[-1.0].summary["loss"] == -40
    assert runs[1.0].state == "stopped" and runs[1.0].summary["loss"] < 40


def test_a_crashed_run_is_marked_and_its_slot_offered_again_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = {"method": "grid", "parameters": {"x": {"values": [1, 2]}}}
    sweep_id = runcard.sweep(spec, project="crash")
    script = tmp_path / "dies.py"
    script.write_text(
        "import os, signal, sys, runcard\n"
        "def train():\n"
        "    runcard.init()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "runcard.agent(sys.argv[1], function=train, count=1)\n"
    )
    env = {**os.environ, "RUNCARD_HEARTBEAT_SECONDS": "0.1"}
    died = subprocess.run([sys.executable, str(script), sweep_id], env=env)
    assert died.returncode == -signal.SIGKILL
    time.sleep(0.5)  # three heartbeats: the run reads as crashed
    seen: list[int] = []

    def train() -> None:
        seen.append(runcard.init().config["x"])

    assert runcard.agent(sweep_id, function=train) == 2
    assert sorted(seen) == [1, 2]  # x=1 again, once, then x=2
    states = sorted(r.state for r in runcard.Api().runs("crash"))
    assert states == ["crashed", "finished", "finished"]
