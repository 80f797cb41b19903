"""`runcard import mlflow` through MLflow's own client: equal metrics (steps and timestamps),
params typed back with MLflow's text kept, tags, states, nested runs as a group; importing again
stores nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

import runcard

PARAMS = {
    "lr": 0.01,
    "batch_size": 32,
    "amp": True,
    "layers": [64, 32],
    "schedule": {"kind": "cosine", "warmup": 5},
    "optimizer": "adam",
    "version": "1.0.0",
    "checkpoint": None,
}


@pytest.fixture
def tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    return uri


def import_mlflow(uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runcard", "import", "mlflow", "--tracking-uri", uri, *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=dict(os.environ)
    )


def record_experiment() -> dict[str, str]:
    mlflow.set_experiment("cifar")
    ids = {}
    with mlflow.start_run(run_name="search") as parent:
        ids["search"] = parent.info.run_id
        mlflow.log_params(PARAMS)
        mlflow.set_tag("team", "vision")
        mlflow.set_tag("mlflow.note.content", "the first search")
        for step in range(5):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
        for trial in range(2):
            with mlflow.start_run(run_name=f"trial-{trial}", nested=True) as child:
                ids[f"trial-{trial}"] = child.info.run_id
                mlflow.log_param("seed", trial)
                mlflow.log_metric("loss", 0.5 + trial, step=0)
    with mlflow.start_run(run_name="broken") as broken:
        ids["broken"] = broken.info.run_id
        mlflow.log_metric("loss", 2.0)
        mlflow.log_metric("loss", 3.0)  # no step: MLflow puts both at step 0
        mlflow.end_run("FAILED")
    return ids


def test_runs_come_in_with_typed_params_metrics_tags_and_groups(tracking_uri: str) -> None:
    ids = record_experiment()
    result = import_mlflow(tracking_uri)
    assert result.returncode == 0, result.stderr
    assert "4 runs from mlflow" in result.stdout and "/cifar" in result.stdout

    run = runcard.Api().run(f"cifar/{ids['search']}")
    assert run.name == "search"
    assert run.config == PARAMS  # each typed back from MLflow's text
    blame = run.provenance()
    assert blame["amp"][-1] == {**blame["amp"][-1], "source": "import:mlflow", "detail": "True"}
    assert blame["lr"][-1]["detail"] == "0.01"
    assert run.tags == ["team=vision"] and run.notes == "the first search"
    assert run.state == "finished" and run.group == "search"

    client = MlflowClient(tracking_uri)
    history = run.history(pandas=False)
    expected = client.get_metric_history(ids["search"], "loss")
    assert [(r["_step"], r["loss"]) for r in history] == [(m.step, m.value) for m in expected]
    assert [r["_timestamp"] for r in history] == pytest.approx(
        [m.timestamp / 1000 for m in expected]
    )
    assert [r["acc"] for r in history] == [s / 10 for s in range(5)]
    assert run.summary["loss"] == 0.2

    trials = [runcard.Api().run(f"cifar/{ids[f'trial-{t}']}") for t in range(2)]
    assert [t.group for t in trials] == ["search", "search"]
    assert [t.config["seed"] for t in trials] == [0, 1]

    broken = runcard.Api().run(f"cifar/{ids['broken']}")
    assert broken.state == "failed"
    assert [(r["_step"], r["loss"]) for r in broken.history(pandas=False)] == [(0, 2.0), (0, 3.0)]


def test_importing_again_adds_only_what_mlflow_gained(tracking_uri: str) -> None:
    ids = record_experiment()
    assert import_mlflow(tracking_uri, "--project", "p").returncode == 0
    run = runcard.Api().run(f"p/{ids['search']}")
    before = (run.history(pandas=False), run.config, run.provenance(), run.summary)

    again = import_mlflow(tracking_uri, "--project", "p")
    assert again.returncode == 0 and "0 new, 0 history rows added" in again.stdout
    run = runcard.Api().run(f"p/{ids['search']}")
    assert (run.history(pandas=False), run.config, run.provenance(), run.summary) == before
    assert len(runcard.Api().runs("p")) == 4

    client = MlflowClient(tracking_uri)
    client.log_metric(ids["search"], "loss", 0.1, step=5)
    client.log_param(ids["search"], "epochs", "10")
    grown = import_mlflow(tracking_uri, "--project", "p", "--experiment", "cifar")
    assert grown.returncode == 0 and "1 history rows added" in grown.stdout
    run = runcard.Api().run(f"p/{ids['search']}")
    assert [r["_step"] for r in run.history(pandas=False)] == [0, 1, 2, 3, 4, 5]
    assert run.config["epochs"] == 10 and run.config["lr"] == 0.01
    assert [r["source"] for r in run.provenance()["lr"]] == ["import:mlflow"]


def test_an_unknown_experiment_is_named(tracking_uri: str) -> None:
    record_experiment()
    result = import_mlflow(tracking_uri, "--experiment", "cifra")
    assert result.returncode == 2
    assert "'cifra'" in result.stderr and "cifar" in result.stderr
