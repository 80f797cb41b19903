"""The Optuna callback in real studies (in memory, and on Optuna's RDB storage shared by several
processes); results are read back through `runcard.Api`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import optuna
import pytest

import runcard
from helpers import REPO, run_script
from runcard_optuna import RuncardCallback

optuna.logging.set_verbosity(optuna.logging.WARNING)

STATES = {"COMPLETE": "finished", "PRUNED": "stopped", "FAIL": "failed"}


def steps_objective(trial: optuna.trial.Trial) -> float:
    """A quadratic reported over 5 steps, pruned when the pruner says so."""
    x = trial.suggest_float("x", -10.0, 10.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    value = (x - 2) ** 2 + (kind == "b") + lr
    for step in range(5):
        trial.report(value + 5 - step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


def runs_by_trial(project: str) -> dict[int, Any]:
    return {run.config["optuna"]["trial"]: run for run in runcard.Api().runs(project)}


def test_twenty_trials_with_a_pruner_are_twenty_grouped_runs() -> None:
    study = optuna.create_study(
        study_name="quad",
        sampler=optuna.samplers.TPESampler(seed=3),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )
    study.optimize(
        steps_objective, n_trials=20, callbacks=[RuncardCallback("loss", project="search")]
    )

    runs = runs_by_trial("search")
    assert sorted(runs) == list(range(20))
    states = [t.state.name for t in study.trials]
    assert "PRUNED" in states and "COMPLETE" in states
    for trial in study.trials:
        run = runs[trial.number]
        assert run.group == "quad"
        assert run.name == f"trial-{trial.number}"
        assert run.state == STATES[trial.state.name]
        assert {k: run.config[k] for k in ("x", "kind", "lr")} == trial.params
        assert run.provenance()["lr"][-1]["source"] == "optuna"
        assert run.descriptions["lr"] == str(trial.distributions["lr"])
        assert run.descriptions["kind"] == "CategoricalDistribution(choices=('a', 'b'))"
        steps, values = run.metric("loss")
        assert dict(zip(steps, values, strict=True)) == trial.intermediate_values
        if trial.state.name == "COMPLETE":
            assert run.summary["loss"] == trial.value
    config = runs[0].config["optuna"]
    assert config["study"] == "quad" and config["direction"] == "minimize"
    assert config["sampler"]["class"] == "TPESampler"
    assert config["pruner"] == {
        "class": "MedianPruner",
        "interval_steps": 1,
        "n_min_trials": 1,
        "n_startup_trials": 2,
        "n_warmup_steps": 0,
        "percentile": 50.0,
    }


def test_inside_a_tracked_objective_runcard_log_lands_in_the_trials_run() -> None:
    callback = RuncardCallback(project="search")

    @callback.track_in_runcard()
    def objective(trial: optuna.trial.Trial) -> float:
        x = trial.suggest_int("x", 0, 9)
        runcard.log({"inner": x * 10})
        runcard.config.update({"from_objective": x})
        trial.set_user_attr("note", f"x={x}")
        return float(x)

    with runcard.init(project="outer", name="script") as outer:
        study = optuna.create_study(study_name="tracked")
        study.optimize(objective, n_trials=4, callbacks=[callback])
        assert runcard.run is outer  # the trials' runs never replaced the script's

    runs = runs_by_trial("search")
    assert sorted(runs) == [0, 1, 2, 3]
    for trial in study.trials:
        run = runs[trial.number]
        assert run.state == "finished"
        assert run.metric("inner")[1] == [trial.params["x"] * 10]
        assert run.config["from_objective"] == trial.params["x"]
        assert run.summary["value"] == trial.value
        assert run.summary["user_attrs.note"] == f"x={trial.params['x']}"
    (script,) = runcard.Api().runs("outer")
    assert "inner" not in script.summary


def test_failed_trials_are_failed_runs_caught_or_not() -> None:
    callback = RuncardCallback(project="search")

    @callback.track_in_runcard()
    def objective(trial: optuna.trial.Trial) -> float:
        x = trial.suggest_int("x", 0, 3)
        trial.report(1.5, 0)
        if trial.number == 0:
            raise ValueError("caught by optuna")
        if trial.number == 2:
            raise KeyError("not caught")
        return float(x)

    study = optuna.create_study(study_name="failing")
    with pytest.raises(KeyError):
        study.optimize(objective, n_trials=5, callbacks=[callback], catch=(ValueError,))

    runs = runs_by_trial("search")
    assert sorted(runs) == [0, 1, 2]  # one run each: trial 0 recorded once although caught
    assert [runs[n].state for n in (0, 1, 2)] == ["failed", "finished", "failed"]
    assert runs[0].summary["error"] == "ValueError: caught by optuna"
    assert runs[2].summary["error"] == "KeyError: 'not caught'"
    assert runs[2].config["x"] == study.trials[2].params["x"]
    assert runs[2].metric("value") == ([0], [1.5])


def test_a_failed_trial_without_the_decorator_is_a_failed_run() -> None:
    def objective(trial: optuna.trial.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("broken")

    study = optuna.create_study()
    study.optimize(
        objective, n_trials=2, callbacks=[RuncardCallback(project="search")], catch=(Exception,)
    )
    assert [run.state for run in runs_by_trial("search").values()] == ["failed", "failed"]


def test_multi_objective_values_go_under_their_names() -> None:
    def objective(trial: optuna.trial.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    study = optuna.create_study(directions=["minimize", "maximize"], study_name="pareto")
    study.optimize(
        objective, n_trials=3, callbacks=[RuncardCallback(["cost", "gain"], project="search")]
    )
    runs = runs_by_trial("search")
    for trial in study.trials:
        assert [runs[trial.number].summary[k] for k in ("cost", "gain")] == trial.values
    assert runs[0].config["optuna"]["direction"] == ["minimize", "maximize"]

    with pytest.raises(ValueError, match="one name per objective"):
        study.optimize(objective, n_trials=1, callbacks=[RuncardCallback("cost", project="x")])


def test_bad_arguments_are_refused_when_the_callback_is_built() -> None:
    with pytest.raises(ValueError, match="metric_name"):
        RuncardCallback(metric_name=[])
    with pytest.raises(TypeError, match="'projet'"):
        RuncardCallback(projet="typo")


WORKER = """
import sys, optuna
from runcard_optuna import RuncardCallback
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name="shared", storage=sys.argv[1])
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    for step in range(3):
        trial.report(x * x + 3 - step, step)
    return x * x
study.optimize(objective, n_trials=5, callbacks=[RuncardCallback("loss", project="rdb")])
"""


def test_four_processes_sharing_an_rdb_study_record_every_trial_once(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(study_name="shared", storage=storage)
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, storage], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err.decode()

    study = optuna.load_study(study_name="shared", storage=storage)
    assert len(study.trials) == 20
    runs = runcard.Api().runs("rdb")
    assert sorted(run.config["optuna"]["trial"] for run in runs) == list(range(20))
    by_trial = {run.config["optuna"]["trial"]: run for run in runs}
    for trial in study.trials:
        run = by_trial[trial.number]
        assert (run.group, run.state, run.config["x"]) == ("shared", "finished", trial.params["x"])
        assert run.summary["loss"] == trial.value
        assert run.metric("loss") == ([0, 1, 2], [trial.intermediate_values[s] for s in range(3)])


def test_the_example_script_runs_and_records_every_trial(store_dir: Path) -> None:
    example = REPO / "examples" / "optuna_search.py"
    result = run_script(example, env={"RUNCARD_DIR": str(store_dir)})

    runs = runcard.Api().runs("optuna-example")
    assert len(runs) == 12
    assert {run.group for run in runs} == {"optuna-example"}
    assert {run.state for run in runs} <= {"finished", "stopped"}
    assert all(run.path in result.stdout for run in runs)
    assert all(run.metric("train_loss")[1] for run in runs)  # logged inside the objective
