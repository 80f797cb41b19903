"""Real Hydra apps run as subprocesses with the runcard callback, read back through the Api."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import runcard

PROJECT = "hydra-tests"
RunApp = Callable[..., Any]  # the `run_app` fixture of conftest.py


def sources(run: runcard.ApiRun, key: str) -> list[tuple[str, str | None]]:
    return [(r["source"], r["detail"]) for r in run.provenance()[key]]


def only_run(api: runcard.Api, project: str = PROJECT) -> runcard.ApiRun:
    runs = api.runs(project)
    assert len(runs) == 1, [r.path for r in runs]
    return runs[0]


def test_single_run_records_resolved_config_overrides_and_choices(
    run_app: RunApp, api: runcard.Api
) -> None:
    app = run_app("lr=0.5", "optimizer=adam", "model.depth=3")
    run = only_run(api)

    assert run.state == "finished"
    assert run.group is None
    config = run.config
    assert config["lr"] == 0.5
    assert config["optimizer"] == {"name": "adam", "lr": 0.5, "betas": [0.9, 0.999]}
    assert config["model"] == {"width": 8, "depth": 3, "name": "mlp_8x3"}  # interpolation
    assert list(config)[:3] == ["optimizer", "lr", "epochs"]  # the composed order

    assert sources(run, "lr") == [("hydra-override", "lr=0.5")]
    assert sources(run, "model.depth") == [("hydra-override", "model.depth=3")]
    assert sources(run, "model.width") == [("hydra", "config")]
    assert sources(run, "model.name") == [("hydra", "mlp_${model.width}x${model.depth}")]
    assert sources(run, "optimizer.lr") == [("hydra", "${lr}")]
    assert sources(run, "optimizer.name") == [("hydra", "config")]

    facts = config["hydra"]
    assert facts["mode"] == "RUN"
    assert facts["runtime"]["choices"] == {
        "optimizer": "adam",
        "hydra/launcher": "basic",
        "hydra/sweeper": "basic",
    }
    assert sources(run, "hydra.runtime.choices.optimizer") == [("hydra-override", "optimizer=adam")]
    assert sources(run, "hydra.runtime.choices.hydra/launcher") == [("hydra", None)]
    assert facts["overrides"]["task"] == ["lr=0.5", "optimizer=adam", "model.depth=3"]
    assert facts["job"]["name"] == "train"
    assert "num" not in facts["job"] and "sweep" not in facts
    output_dir = Path(facts["runtime"]["output_dir"])
    assert output_dir.is_absolute() and (output_dir / ".hydra" / "config.yaml").is_file()

    # the end: the returned dict in the summary, logged metrics too
    assert run.summary["score"] == 4.0 and run.summary["epochs_run"] == 2
    assert [row["loss"] for row in run.history(pandas=False)] == [0.5, 0.25]

    # runcard.init() in the task returned the callback's run and merged its config
    assert config["from_task"] is True
    assert sources(run, "from_task") == [("init", None)]
    (record,) = app.records
    assert record["init"] == record["current"] == run.path

    # the unresolved config, beside the run's files
    files = Path(record["dir"]) / "hydra"
    unresolved = yaml.safe_load((files / "config.yaml").read_text())
    assert unresolved["model"]["name"] == "mlp_${model.width}x${model.depth}"
    assert unresolved["optimizer"]["lr"] == "${lr}"
    assert yaml.safe_load((files / "overrides.yaml").read_text()) == facts["overrides"]["task"]
    assert "hydra" in yaml.safe_load((files / "hydra.yaml").read_text())


def test_enabled_from_the_command_line_and_configured_there(
    run_app: RunApp, api: runcard.Api
) -> None:
    run_app(
        "--config-name",
        "plain",
        "hydra/callbacks=runcard",
        "hydra.callbacks.runcard.project=cli",
        "hydra.callbacks.runcard.name='{job_name}-{choices[optimizer]}-w{cfg.model.width}'",
        "hydra.callbacks.runcard.tags=[hydra,smoke]",
        "+hydra.callbacks.runcard.config_exclude_keys=[epochs]",
        "+extra=7",
    )
    run = only_run(api, "cli")
    assert run.name == "train-sgd-w4"
    assert list(run.tags) == ["hydra", "smoke"]
    assert "epochs" not in run.config
    assert run.config["extra"] == 7
    assert sources(run, "extra") == [("hydra-override", "+extra=7")]
    assert run.summary["return_value"] == pytest.approx(0.4)  # a number returned
    assert run.config["hydra"]["job"]["config_name"] == "plain"


def test_without_the_option_the_callback_stays_out(run_app: RunApp, api: runcard.Api) -> None:
    run_app("--config-name", "plain")
    (run,) = api.runs()  # only the task's own runcard.init()
    assert run.config == {"from_task": True}


def test_multirun_one_run_per_job_grouped_by_the_sweep(
    run_app: RunApp, api: runcard.Api, tmp_path: Path
) -> None:
    app = run_app(
        "--multirun",
        "lr=0.1,0.2",
        "optimizer=sgd,adam",
        "hydra.callbacks.runcard.name='{job_name}-{num}'",
    )
    runs = api.runs(PROJECT, order="name")
    assert [r.name for r in runs] == ["train-0", "train-1", "train-2", "train-3"]
    sweep_dir = runs[0].config["hydra"]["sweep"]["dir"]
    assert (tmp_path / sweep_dir / "multirun.yaml").is_file()  # Hydra's own sweep record
    combos = set()
    for num, run in enumerate(runs):
        config = run.config
        assert run.state == "finished"
        assert run.group == sweep_dir
        assert config["hydra"]["mode"] == "MULTIRUN"
        assert config["hydra"]["job"]["num"] == num
        assert Path(config["hydra"]["runtime"]["output_dir"]).name == str(num)
        choice = config["hydra"]["runtime"]["choices"]["optimizer"]
        assert config["optimizer"]["name"] == choice
        assert config["optimizer"]["lr"] == config["lr"]  # resolved per job
        assert sources(run, "lr") == [("hydra-override", f"lr={config['lr']}")]
        assert sources(run, "hydra.runtime.choices.optimizer") == [
            ("hydra-override", f"optimizer={choice}")
        ]
        assert run.summary["score"] == pytest.approx(config["lr"] * 8)
        assert config["from_task"] is True and len(run.history(pandas=False)) == 2
        combos.add((config["lr"], choice))
    assert combos == {(0.1, "sgd"), (0.1, "adam"), (0.2, "sgd"), (0.2, "adam")}
    assert sorted(r["init"] for r in app.records) == sorted(r.path for r in runs)
    assert all(r["init"] == r["current"] for r in app.records)

    # swept keys filter and group directly
    group = api.runs(PROJECT, filters={"group": sweep_dir, "config.lr": 0.2})
    assert len(group) == 2
    adam = api.runs(PROJECT, filters={"config.hydra.runtime.choices.optimizer": "adam"})
    assert {r.config["optimizer"]["name"] for r in adam} == {"adam"}


def test_cli_groups_a_sweep_by_swept_keys(run_app: RunApp, api: runcard.Api) -> None:
    run_app("--multirun", "lr=0.1,0.2", "optimizer=sgd,adam")
    for key in ("lr", "hydra.runtime.choices.optimizer"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "runcard",
                "runs",
                PROJECT,
                "--group-by",
                key,
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        groups = json.loads(proc.stdout)
        assert len(groups) == 2 and all(g["runs"] == 2 for g in groups), proc.stdout


def test_failing_job_is_failed_and_the_sweep_goes_on(run_app: RunApp, api: runcard.Api) -> None:
    app = run_app("--multirun", "lr=0.1,0.9,0.2", "fail_above_lr=0.5", ok=False)
    assert app.returncode != 0  # Hydra raises the failed job's error after the sweep
    assert "lr 0.9 is above 0.5" in app.stderr
    by_lr = {r.config["lr"]: r for r in api.runs(PROJECT)}
    assert set(by_lr) == {0.1, 0.9, 0.2}
    assert by_lr[0.9].state == "failed"
    assert "score" not in by_lr[0.9].summary
    assert by_lr[0.9].summary["loss"] == pytest.approx(0.45)  # what it logged is kept
    for lr in (0.1, 0.2):
        assert by_lr[lr].state == "finished"
        assert by_lr[lr].summary["score"] == pytest.approx(lr * 8)
    assert len({r.group for r in by_lr.values()}) == 1


def test_failing_single_run_is_failed(run_app: RunApp, api: runcard.Api) -> None:
    app = run_app("lr=0.9", "fail_above_lr=0.5", ok=False)
    assert app.returncode == 1
    run = only_run(api)
    assert run.state == "failed"
    assert run.config["lr"] == 0.9


def test_return_none_and_unresolvable_values(run_app: RunApp, api: runcard.Api) -> None:
    """A task returning None adds nothing to the summary; a value whose interpolation does not
    resolve (and that the task never reads) is kept as its text instead of losing the config."""
    run_app("returns=none", "+broken='${no_such_key}'")
    run = only_run(api)
    assert run.state == "finished"
    assert "return_value" not in run.summary and "score" not in run.summary
    assert run.config["broken"] == "${no_such_key}"
    assert run.config["lr"] == 0.1 and run.config["optimizer"]["lr"] == 0.1


def test_disabled_mode_stores_nothing(run_app: RunApp, api: runcard.Api) -> None:
    app = run_app("hydra.callbacks.runcard.mode=disabled")
    assert api.runs() == []
    assert len(app.records) == 1  # the task still ran, with a no-op run


def test_job_chdir_and_a_relative_store_dir(
    run_app: RunApp, api: runcard.Api, tmp_path: Path
) -> None:
    """With `hydra.job.chdir=True` the task runs in its output dir; a relative `dir` is taken
    from where the app was started."""
    run_app("--multirun", "lr=0.1,0.2", "hydra.job.chdir=True", "hydra.callbacks.runcard.dir=mine")
    assert api.runs() == []
    runs = runcard.Api(dir=str(tmp_path / "mine")).runs(PROJECT)
    assert sorted(r.config["lr"] for r in runs) == [0.1, 0.2]
    assert {r.state for r in runs} == {"finished"}


def test_joblib_launcher_jobs_are_runs_too(run_app: RunApp, api: runcard.Api) -> None:
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    run_app("--multirun", "lr=0.1,0.2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    runs = api.runs(PROJECT)
    assert sorted(r.config["lr"] for r in runs) == [0.1, 0.2]
    assert {r.state for r in runs} == {"finished"}
    assert len({r.group for r in runs}) == 1 and runs[0].group
    assert {r.config["hydra"]["runtime"]["choices"]["hydra/launcher"] for r in runs} == {"joblib"}
    assert all(r.config["from_task"] is True for r in runs)


def test_a_name_pattern_that_does_not_format_falls_back(run_app: RunApp, api: runcard.Api) -> None:
    app = run_app("hydra.callbacks.runcard.name='{no_such_field}'")
    run = only_run(api)
    assert run.name and "no_such_field" not in run.name
    assert "does not format" in app.stdout + app.stderr


def test_task_that_finishes_the_run_itself_keeps_its_return_value(
    run_app: RunApp, api: runcard.Api
) -> None:
    run_app("finish_in_task=true", "lr=0.5")
    run = only_run(api)
    assert run.state == "finished"
    assert run.summary["score"] == 4.0 and run.summary["loss"] == 0.25
