"""wandb's doc snippets (examples/wandb_docs/), each run unchanged but for its import line, in a
fresh interpreter against this test's store (issue 17)."""

from __future__ import annotations

import csv
from pathlib import Path

import runcard
from helpers import REPO, run_script

DOCS = REPO / "examples" / "wandb_docs"


def snippet(name: str, cwd: Path) -> str:
    return run_script(DOCS / name, cwd=cwd).stdout


def stored(path: str) -> runcard.ApiRun:
    return runcard.Api().run(path)


def placeholder_run(**logged: list[float]) -> runcard.ApiRun:
    """The run the export snippets name: <entity>/<project>/<run_id>."""
    run = runcard.init(
        entity="<entity>", project="<project>", id="<run_id>", config={"experiment_name": "foo"}
    )
    for values in zip(*logged.values(), strict=True):
        run.log(dict(zip(logged, values, strict=True)))
    run.summary["old_name"] = 0.5
    run.finish()
    return stored(run.path)


def only_run(project: str) -> runcard.ApiRun:
    (run,) = runcard.Api().runs(project)
    return run


def test_log_summary_best_accuracy(tmp_path: Path) -> None:
    for name in ("log_summary_best_accuracy.py", "log_summary_best_accuracy_module.py"):
        snippet(name, tmp_path)
    runs = runcard.Api().runs("uncategorized")
    assert len(runs) == 2
    for run in runs:
        assert run.state == "finished" and run.config == {"epochs": 5}
        assert 0 < run.summary["best_accuracy"] < 1


def test_log_summary_api_update(tmp_path: Path) -> None:
    runcard.init(entity="username", project="project", id="run_id").finish()
    snippet("log_summary_api_update.py", tmp_path)
    tensor = stored("username/project/run_id").summary["tensor"]
    assert len(tensor) == 1000 and all(0 <= v < 1 for v in tensor)


def test_log_summary_define_metric(tmp_path: Path) -> None:
    snippet("log_summary_define_metric.py", tmp_path)
    run = only_run("uncategorized")
    _, losses = run.metric("loss")
    _, accs = run.metric("acc")
    assert run.summary == {
        "loss": {"min": min(losses), "max": max(losses)},
        "acc": {"min": min(accs), "max": max(accs)},
    }


def test_log_axes(tmp_path: Path) -> None:
    snippet("log_axes_custom_step.py", tmp_path)
    snippet("log_axes_glob.py", tmp_path)
    custom, glob = sorted(runcard.Api().runs("uncategorized"), key=lambda r: r.created_at or "")
    assert custom.metric("custom_step") == (list(range(10)), [i**2 for i in range(10)])
    assert custom.summary == {"train_loss": 0.1, "custom_step": 81, "validation_loss": 0.1}
    assert glob.metric("train/step") == (list(range(10)), [2**i for i in range(10)])
    assert set(glob.summary) == {"train/step", "train/loss", "train/accuracy", "val/loss"}


def test_export_query_filter_and_scan(tmp_path: Path) -> None:
    placeholder_run(loss=[0.3, 0.2, 0.1])
    runcard.init(entity="username", project="project", config={"experiment_name": "bar"}).finish()
    runcard.init(entity="username", project="project", config={"experiment_name": "baz"}).finish()
    snippet("export_query_run.py", tmp_path)
    assert snippet("export_filter_runs.py", tmp_path) == "Found 1\n"
    assert snippet("export_scan_history.py", tmp_path) == "[0.3, 0.2, 0.1]\n"


def test_export_edits_of_a_finished_run(tmp_path: Path) -> None:
    placeholder_run(loss=[0.3])
    snippet("export_update_summary.py", tmp_path)
    snippet("export_rename_metric.py", tmp_path)
    snippet("export_update_config.py", tmp_path)
    run = stored("<entity>/<project>/<run_id>")
    assert run.summary == {"loss": 0.3, "new_key": "new value", "new_name": 0.5}
    assert run.config == {"experiment_name": "foo", "key": "updated value"}
    sources = {r["source"] for r in run._store.revisions(run._pk, "summary")}
    assert sources == {"api"}


def test_export_with_pandas(tmp_path: Path) -> None:
    placeholder_run(accuracy=[0.5, 0.75])
    printed = snippet("export_read_metrics.py", tmp_path).split("\n")
    assert [line.split()[1] for line in printed if line] == ["0.5", "0.75"]
    snippet("export_history_to_csv.py", tmp_path)
    with open(tmp_path / "metrics.csv", newline="") as file:
        assert [row["accuracy"] for row in csv.DictReader(file)] == ["0.5", "0.75"]
    snippet("export_runs_to_csv.py", tmp_path)
    with open(tmp_path / "project.csv", newline="") as file:
        (row,) = csv.DictReader(file)
    assert row["name"] == stored("<entity>/<project>/<run_id>").name
    assert "'accuracy': 0.75" in row["summary"] and "'experiment_name': 'foo'" in row["config"]
