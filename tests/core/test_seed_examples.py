"""The seed's scenarios (examples/seed/), each run as a script in a fresh interpreter and read back
through the public Api."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path
from typing import Any

import pytest

import runcard
from helpers import REPO, run_script

EXAMPLES = REPO / "examples" / "seed"


def run_example(
    store_dir: Path, script: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return run_script(EXAMPLES / script, *args, env={"RUNCARD_DIR": str(store_dir)}, cwd=cwd)


def only_run(api: runcard.Api, project: str | None = None) -> runcard.ApiRun:
    runs = api.runs(project)
    assert len(runs) == 1, runs
    return runs[0]


def line_of(script: str, code: str) -> int:
    """The line number of the one line of `script` that holds `code`."""
    lines = (EXAMPLES / script).read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, start=1) if code in line]
    assert len(found) == 1, (code, found)
    return found[0]


def sources(run: runcard.ApiRun, key: str) -> list[tuple[str, Any]]:
    return [(revision["source"], revision["value"]) for revision in run.provenance()[key]]


def test_dict_config_at_init_is_recorded_and_read_back_by_key_and_get(
    store_dir: Path, api: runcard.Api
) -> None:
    result = run_example(store_dir, "config_dict.py")

    assert result.stdout.strip() == "[32, 64] [3] ReLU"
    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert run.config == {
        "hidden_layer_sizes": [32, 64],
        "kernel_sizes": [3],
        "activation": "ReLU",
        "pool_sizes": [2],
        "dropout": 0.5,
        "num_classes": 10,
    }
    provenance = run.provenance()
    assert set(provenance) == set(run.config)
    for key, value in run.config.items():
        assert [(r["source"], r["value"]) for r in provenance[key]] == [("init", value)]


def test_argparse_script_records_parsed_arguments_with_their_source(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "config_experiment.py")

    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert run.config == {"batch_size": 32, "epochs": 50, "learning_rate": 0.001}
    for key, value in run.config.items():
        assert sources(run, key) == [("argparse", value)]
    history = run.history(pandas=False)
    assert [row["_step"] for row in history] == list(range(49))
    assert [row["epoch"] for row in history] == list(range(1, 50))
    assert all(type(row["epoch"]) is int for row in history)
    for row in history:
        epoch = row["epoch"]
        assert 0.25 + epoch / 30 <= row["train_acc"] <= 0.25 + epoch / 30 + 0.1
        assert 0.1 + epoch / 20 <= row["val_acc"] <= 0.1 + epoch / 20 + 0.1
        assert 1.2 - (epoch - 1) / 10 - 0.2 <= row["train_loss"] <= 1.2 - (epoch - 1) / 10
    last = history[-1]
    assert run.summary["epoch"] == 49
    for key in ("train_acc", "train_loss", "val_acc", "val_loss"):
        assert run.summary[key] == last[key]


def test_argparse_script_records_a_batch_size_given_on_the_command_line(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "config_experiment.py", "-b", "64", "-e", "3")

    run = only_run(api, "config_example")
    assert run.config == {"batch_size": 64, "epochs": 3, "learning_rate": 0.001}
    assert sources(run, "batch_size") == [("argparse", 64)]
    assert [row["epoch"] for row in run.history(pandas=False)] == [1, 2]


def test_config_changes_during_the_script_are_revisions_with_file_and_line(
    store_dir: Path, api: runcard.Api
) -> None:
    script = "config_during_script.py"
    result = run_example(store_dir, script)

    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert run.config == {
        "hidden_layer_sizes": [32, 64],
        "kernel_sizes": [3],
        "activation": "ReLU",
        "pool_sizes": [2],
        "dropout": 0.2,
        "num_classes": 10,
        "epochs": 4,
        "batch_size": 32,
    }
    assert sources(run, "dropout") == [("init", 0.5), ("code", 0.2)]
    assert sources(run, "epochs") == [("code", 4)]
    assert sources(run, "batch_size") == [("code", 32)]
    provenance = run.provenance()
    for key, code in [
        ("dropout", 'wandb.config["dropout"] = 0.2'),
        ("epochs", "wandb.config.epochs = 4"),
        ("batch_size", 'wandb.config["batch_size"] = 32'),
    ]:
        assert provenance[key][-1]["detail"] == f"{EXAMPLES / script}:{line_of(script, code)}"
        assert provenance[key][-1]["step"] == 0
    assert "'dropout'" in result.stderr and "0.5" in result.stderr and "0.2" in result.stderr


def test_config_update_sets_several_values_at_once(store_dir: Path, api: runcard.Api) -> None:
    script = "config_during_script.py"
    run_example(store_dir, script)

    run = only_run(api, "uncategorized")  # the seed's second snippet names no project
    assert run.state == "finished"
    assert run.config == {"epochs": 4, "batch_size": 32, "lr": 0.1, "channels": 16}
    assert sources(run, "epochs") == [("init", 4)]
    assert sources(run, "lr") == [("code", 0.1)]
    assert sources(run, "channels") == [("code", 16)]
    update_line = line_of(script, 'wandb.config.update({"lr": 0.1')
    for key in ("lr", "channels"):
        assert run.provenance()[key][0]["detail"] == f"{EXAMPLES / script}:{update_line}"


def test_config_edited_through_the_api_after_the_run_finished_is_an_api_revision(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "update_after_finish.py")

    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert run.config == {"epochs": 4, "batch_size": 32, "bar": 32}
    assert sources(run, "bar") == [("api", 32)]
    assert sources(run, "epochs") == [("init", 4)]
    assert run.finished_at is not None
    finished = datetime.datetime.fromisoformat(run.finished_at).timestamp()
    assert run.provenance()["bar"][0]["time"] >= finished
    assert run.summary["loss"] == 0.25
    assert [(row["_step"], row["loss"]) for row in run.history(pandas=False)] == [(0, 0.25)]


@pytest.mark.absl
def test_absl_flag_given_on_the_command_line_is_recorded_with_its_help(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "absl_flags.py", "--model", "resnet")

    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert run.config["model"] == "resnet"
    assert sources(run, "model") == [("absl-cli", "resnet")]
    assert run.descriptions["model"] == "실행할 모델"


@pytest.mark.absl
def test_absl_flag_left_at_its_default_is_recorded_as_a_default(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "absl_flags.py")

    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert "model" in run.config and run.config["model"] is None
    assert sources(run, "model") == [("absl-default", None)]
    assert run.descriptions["model"] == "실행할 모델"


def test_config_defaults_file_beside_the_script_is_loaded_and_init_overrides_it(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "defaults_file/train.py")  # run from another working directory

    run = only_run(api)
    assert run.state == "finished"
    assert run.config == {"batch_size": 64, "epochs": 200, "learning_rate": 0.001}
    assert run.descriptions == {
        "batch_size": "Size of each mini-batch",
        "epochs": "Number of training epochs",
        "learning_rate": "Step size of the optimizer",
    }
    assert sources(run, "batch_size") == [("defaults-file", 32), ("init", 64)]
    assert sources(run, "epochs") == [("defaults-file", 10), ("init", 200)]
    assert sources(run, "learning_rate") == [("defaults-file", 0.001)]
    defaults = str(EXAMPLES / "defaults_file" / "config-defaults.yaml")
    assert run.provenance()["learning_rate"][0]["detail"] == defaults


def test_configs_flag_loads_another_file_and_the_scripts_own_parser_still_works(
    store_dir: Path, api: runcard.Api
) -> None:
    folder = EXAMPLES / "configs_flag"
    run_example(
        store_dir,
        "configs_flag/train.py",
        "--configs",
        "other-config.yaml",
        "--seed",
        "7",
        cwd=folder,
    )

    run = only_run(api, "config_example")
    assert run.state == "finished"
    assert run.config == {"learning_rate": 0.01, "batch_size": 16, "epochs": 5, "seed": 7}
    assert run.descriptions == {"learning_rate": "Step size of the optimizer"}
    for key in ("learning_rate", "batch_size", "epochs"):
        assert sources(run, key) == [("configs-file", run.config[key])]
        assert run.provenance()[key][0]["detail"].endswith("other-config.yaml")
    assert sources(run, "seed") == [("argparse", 7)]


def test_nested_config_of_a_yaml_file_and_params_stays_nested(
    store_dir: Path, api: runcard.Api
) -> None:
    run_example(store_dir, "nested_yaml_params.py")

    run = only_run(api)
    assert run.state == "finished"
    assert run.config == {
        "yaml": {"dataset": "mnist", "dataset_version": 3, "owner": "vision-team"},
        "params": {"dropout": 0.5, "batch_size": 100, "learning_rate": 0.001},
    }
    assert sources(run, "yaml.dataset") == [("init", "mnist")]
    assert sources(run, "params.batch_size") == [("init", 100)]
    assert set(run.provenance()) == {
        "yaml.dataset",
        "yaml.dataset_version",
        "yaml.owner",
        "params.dropout",
        "params.batch_size",
        "params.learning_rate",
    }
    assert [r.id for r in api.runs(filters={"config.params.batch_size": 100})] == [run.id]
    assert api.runs(filters={"config.params.batch_size": 64}) == []
