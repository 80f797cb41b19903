"""Sweeps: the spec wandb documents, grid/random search, agents racing through one store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runcard

GRID = {
    "method": "grid",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {"lr": {"values": [0.1, 0.01, 0.001]}, "batch": {"values": [8, 16, 32, 64]}},
}


def _train(seen: list[dict]) -> None:
    run = runcard.init(config={"lr": 0.5, "epochs": 3})
    seen.append(dict(run.config))
    runcard.log({"loss": run.config["lr"] * run.config["batch"]})


def test_function_agent_runs_each_grid_point_once_with_the_sweep_values_locked() -> None:
    sweep_id = runcard.sweep(GRID, project="sw")
    seen: list[dict] = []
    assert runcard.agent(sweep_id, function=lambda: _train(seen)) == 12
    assert sorted((c["lr"], c["batch"]) for c in seen) == sorted(
        (lr, b) for lr in (0.1, 0.01, 0.001) for b in (8, 16, 32, 64)
    )
    assert all(c["epochs"] == 3 for c in seen)  # the script's own defaults stay
    runs = runcard.Api().runs("sw", filters={"sweep": sweep_id})
    assert len(runs) == 12
    run = runs[0]
    assert run.sweep == sweep_id and run.state == "finished"
    last = run.provenance()["lr"][-1]
    assert (last["source"], last["detail"]) == ("sweep", sweep_id)
    assert runcard.agent(sweep_id, function=lambda: _train(seen)) == 0  # nothing left


def test_sweep_values_win_over_later_script_writes() -> None:
    sweep_id = runcard.sweep({"method": "grid", "parameters": {"lr": {"value": 0.3}}}, project="sw")

    def train() -> None:
        run = runcard.init(config={"lr": 1.0})
        run.config.update({"lr": 2.0})
        runcard.log({"loss": run.config["lr"]})

    with pytest.warns(runcard.ConfigWarning):
        runcard.agent(sweep_id, function=train)
    (run,) = runcard.Api().runs("sw")
    assert run.config["lr"] == 0.3
    assert run.summary["loss"] == 0.3


def _random_values(seed: int) -> list[dict]:
    spec = {
        "method": "random",
        "seed": seed,
        "parameters": {
            "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
            "opt": {"values": ["adam", "sgd"], "probabilities": [0.7, 0.3]},
            "layers": {"min": 1, "max": 8},
            "model": {
                "parameters": {
                    "dropout": {"distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.1}
                }
            },
        },
    }
    sweep_id = runcard.sweep(spec, project="rnd")
    seen: list[dict] = []

    def train() -> None:
        seen.append(dict(runcard.init().config))

    runcard.agent(sweep_id, function=train, count=5)
    return seen


def test_random_search_is_reproducible_from_its_seed() -> None:
    first, again, other = _random_values(7), _random_values(7), _random_values(8)
    assert first == again
    assert first != other
    for values in first:
        assert 1e-5 <= values["lr"] <= 1e-1 and values["opt"] in ("adam", "sgd")
        assert 1 <= values["layers"] <= 8 and isinstance(values["layers"], int)
        assert round(values["model"]["dropout"], 9) in (0, 0.1, 0.2, 0.3, 0.4, 0.5)


def test_run_cap_ends_the_sweep() -> None:
    spec = {"method": "random", "run_cap": 3, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    sweep_id = runcard.sweep(spec, project="cap")
    assert runcard.agent(sweep_id, function=lambda: runcard.init()) == 3


AGENT = """
import sys, runcard
def train():
    run = runcard.init()
    runcard.log({"loss": run.config["lr"] * run.config["batch"]})
runcard.agent(sys.argv[1], function=train)
"""


def test_four_agent_processes_racing_run_each_grid_point_once(tmp_path: Path) -> None:
    sweep_id = runcard.sweep(GRID, project="race")
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    agents = [
        subprocess.Popen([sys.executable, str(script), sweep_id], env=os.environ.copy())
        for _ in range(4)
    ]
    assert [agent.wait(timeout=120) for agent in agents] == [0, 0, 0, 0]
    runs = runcard.Api().runs("race", filters={"sweep": sweep_id})
    points = sorted((r.config["lr"], r.config["batch"]) for r in runs)
    assert points == sorted((lr, b) for lr in (0.1, 0.01, 0.001) for b in (8, 16, 32, 64))
    assert {r.state for r in runs} == {"finished"}


# -- the spec ---------------------------------------------------------------------------------
# wandb's documented examples (docs.wandb.ai, "Define a sweep configuration")
WANDB_EXAMPLES = [
    """
program: train.py
method: random
name: sweep
metric:
  goal: maximize
  name: val_acc
parameters:
  batch_size:
    values: [16,32,64]
  lr:
    min: 0.0001
    max: 0.1
  epochs:
    values: [5, 10, 15]
  optimizer:
    values: ["adam", "sgd"]
""",
    """
method: random
metric:
  name: val_loss
  goal: minimize
parameters:
  learning_rate:
    min: 0.0001
    max: 0.1
  optimizer:
    values: ["adam", "sgd"]
early_terminate:
  type: hyperband
  s: 2
  eta: 3
  max_iter: 27
""",
    """
program: train.py
method: grid
parameters:
  optimizer:
    values: ['adam', 'sgd']
  fc_layer_size:
    value: 128
  dropout:
    values: [0.3, 0.4, 0.5]
  data:
    parameters:
      batch_size:
        values: [32, 64]
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - "-b"
  - your-training-config
  - ${args}
""",
    """
method: random
parameters:
  learning_rate:
    distribution: inv_log_uniform_values
    min: 0.0001
    max: 0.1
  weight_decay:
    distribution: q_log_uniform_values
    min: 0.0001
    max: 0.1
    q: 0.0001
  momentum:
    distribution: normal
    mu: 0.9
    sigma: 0.01
  beta:
    distribution: q_beta
    a: 2
    b: 5
    q: 0.01
  noise:
    distribution: log_normal
  layers:
    distribution: int_uniform
    min: 1
    max: 4
early_terminate:
  type: hyperband
  min_iter: 3
metric:
  name: loss
""",
]


@pytest.mark.parametrize("text", WANDB_EXAMPLES)
def test_wandb_documented_sweep_files_parse(tmp_path: Path, text: str) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(textwrap.dedent(text))
    sweep_id = runcard.sweep(str(path), project="docs")
    assert runcard.agent(sweep_id, function=lambda: runcard.init(), count=1) == 1


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"parameters": {"x": {"value": 1}}}, "method"),
        ({"method": "grod", "parameters": {"x": {"value": 1}}}, "method"),
        ({"method": "grid"}, "parameters"),
        ({"method": "random", "parameters": {"lr": {"min": 1.0, "max": 0.1}}}, "parameters.lr.max"),
        (
            {"method": "random", "parameters": {"lr": {"distribution": "gaussian", "mu": 0}}},
            "parameters.lr.distribution",
        ),
        ({"method": "random", "parameters": {"lr": {"mni": 0.1, "max": 1}}}, "parameters.lr"),
        (
            {
                "method": "grid",
                "parameters": {"lr": {"distribution": "uniform", "min": 0, "max": 1}},
            },
            "parameters.lr",
        ),
        ({"method": "bayes", "parameters": {"x": {"values": [1, 2]}}}, "metric"),
        (
            {
                "method": "random",
                "metric": {"name": "l", "goal": "lower"},
                "parameters": {"x": {"value": 1}},
            },
            "metric.goal",
        ),
        (
            {
                "method": "random",
                "parameters": {"o": {"values": ["a", "b"], "probabilities": [0.5, 0.6]}},
            },
            "parameters.o.probabilities",
        ),
        (
            {
                "method": "random",
                "metric": {"name": "loss"},
                "parameters": {"x": {"value": 1}},
                "early_terminate": {"type": "hyperband", "eta": 3},
            },
            "early_terminate",
        ),
        ({"method": "random", "run_cap": 0, "parameters": {"x": {"value": 1}}}, "run_cap"),
        ({"method": "random", "parametres": {}, "parameters": {"x": {"value": 1}}}, "parametres"),
        (
            {"method": "random", "parameters": {"n": {"parameters": {"y": {"min": 2, "max": 1}}}}},
            "parameters.n.parameters.y.max",
        ),
    ],
)
def test_invalid_sweeps_fail_at_sweep_naming_the_key(spec: dict, named: str) -> None:
    with pytest.raises(runcard.UsageError, match=re.escape(f"sweep: {named}:")):
        runcard.sweep(spec)
    assert runcard.Api().runs("uncategorized") == []


def test_a_bayes_sweep_without_optuna_names_the_extra() -> None:
    spec = {"method": "bayes", "metric": {"name": "loss"}, "parameters": {"x": {"values": [1]}}}
    with pytest.raises(runcard.UsageError, match=r"runcard\[sweeps\]"):
        runcard.sweep(spec)


@pytest.mark.sqlite_only  # a migration of an SQLite store
def test_a_store_from_before_sweeps_opens_and_takes_sweeps(store_dir: Path) -> None:
    import sqlite3

    old_run = runcard.init(project="old")
    old_run.finish()
    old = sqlite3.connect(Path(store_dir) / "runcard.db", isolation_level=None)
    for statement in (
        "DROP TABLE sweeps",
        "DROP TABLE sweep_runs",
        "ALTER TABLE runs DROP COLUMN sweep",
        "PRAGMA user_version = 3",  # the store as main's schema left it
    ):
        old.execute(statement)
    old.close()
    sweep_id = runcard.sweep(GRID, project="old")
    assert runcard.agent(sweep_id, function=lambda: runcard.init(), count=2) == 2
    runs = {run.id: run.sweep for run in runcard.Api().runs("old")}
    assert runs.pop(old_run.id) is None and set(runs.values()) == {sweep_id}
