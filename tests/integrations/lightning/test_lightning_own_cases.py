"""The cases Lightning's own logger tests check (tests_pytorch/loggers/test_all.py and
test_logger.py), with RuncardLogger in real fits; and the issue-18 edge cases users hit."""

from __future__ import annotations

import copy
import logging
import pickle
from pathlib import Path
from typing import Any

import lightning.pytorch
import pytest
import pytorch_lightning
from lightning_tiny import DEFAULT_DATA, DEFAULT_OPTIMIZER, PACKAGES, classes

import runcard
from runcard_lightning import RuncardLogger

pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")


class TableModel(classes("lightning.pytorch")[0]):  # type: ignore[misc]
    """A module whose hyperparameters hold a dict with int keys."""

    def __init__(self, table: dict[Any, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.save_hyperparameters()


def fit(package: str, loggers: Any, tmp_path: Path, model_class: Any = None, **hparams: Any) -> Any:
    default_class, data_class, pl = classes(package)
    model_class = model_class or default_class
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        devices=1,
        logger=loggers,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        default_root_dir=tmp_path,
    )
    model = model_class(optimizer=DEFAULT_OPTIMIZER, **hparams)
    trainer.fit(model, datamodule=data_class(data=DEFAULT_DATA))
    return trainer


def losses(api: runcard.Api, logger: RuncardLogger) -> list[float]:
    history = api.run(f"{logger.name}/{logger.version}").history(pandas=False)
    return [row["loss"] for row in history if "loss" in row]


@pytest.mark.parametrize("package", PACKAGES)
def test_two_runcard_loggers_in_one_trainer_each_record_their_own_finished_run(
    package: str, tmp_path: Path, api: runcard.Api
) -> None:
    first, second = RuncardLogger(project="a"), RuncardLogger(project="b", prefix="b")
    fit(package, [first, second], tmp_path)

    runs = {run.project: run for run in api.runs()}
    assert set(runs) == {"a", "b"}
    assert runs["a"].state == runs["b"].state == "finished"
    assert len(losses(api, first)) == 4
    b_rows = runs["b"].history(pandas=False)
    assert len([r for r in b_rows if "b-loss" in r]) == 4
    assert runs["a"].config["lr"] == runs["b"].config["lr"] == 0.05


def test_a_logger_beside_the_users_own_run_leaves_that_run_live_and_current(
    tmp_path: Path, api: runcard.Api
) -> None:
    with runcard.init(project="mine") as mine:
        logger = RuncardLogger(project="tiny")
        fit("lightning.pytorch", logger, tmp_path)
        assert runcard.run is mine
        runcard.log({"after_fit": 1})
    assert api.run(mine.path).state == "finished"
    assert api.run(mine.path).summary["after_fit"] == 1
    assert "lr" not in api.run(mine.path).config
    assert api.run(f"tiny/{logger.version}").state == "finished"
    assert len(losses(api, logger)) == 4


def test_non_string_hparam_keys_are_recorded_as_text_with_a_warning(
    tmp_path: Path, api: runcard.Api, caplog: pytest.LogCaptureFixture
) -> None:
    logger = RuncardLogger(project="tiny")
    with caplog.at_level(logging.WARNING, logger="runcard"):
        fit("lightning.pytorch", logger, tmp_path, TableModel, table={1: 0.5, "x": {2: "b"}})
    config = api.run(f"tiny/{logger.version}").config
    assert config["table"] == {"1": 0.5, "x": {"2": "b"}}
    assert "hyperparameter keys 'table.1', 'table.x.2' are not strings" in caplog.text


def test_complex_numbers_are_stored_as_lightnings_text(api: runcard.Api) -> None:
    logger = RuncardLogger(project="tiny")
    logger.log_hyperparams({"c": 7 + 2j, "nested": {"z": [1j]}})
    logger.log_metrics({"z": 7 + 2j, "loss": 0.5}, step=0)
    logger.finalize("success")
    run = api.run(f"tiny/{logger.version}")
    assert run.config["c"] == "(7+2j)"
    assert run.config["nested"] == {"z": ["1j"]}
    assert run.history(pandas=False)[0]["z"] == "(7+2j)"


def test_save_dir_is_the_store_as_dir_is(tmp_path: Path) -> None:
    store = tmp_path / "given"
    logger = RuncardLogger(project="tiny", save_dir=store)
    assert logger.save_dir == str(store)
    trainer = fit("lightning.pytorch", logger, tmp_path)
    assert trainer.log_dir == str(store)
    assert runcard.Api(dir=str(store)).run(f"tiny/{logger.version}").state == "finished"
    with pytest.raises(ValueError, match="give one"):
        RuncardLogger(dir=tmp_path / "one", save_dir=tmp_path / "two")


def test_without_a_dir_trainer_log_dir_is_the_runs_folder(tmp_path: Path) -> None:
    logger = RuncardLogger(project="tiny")
    trainer = fit("lightning.pytorch", logger, tmp_path)
    assert trainer.log_dir == logger.log_dir == logger.experiment.dir
    assert Path(trainer.log_dir).is_dir()


@pytest.mark.parametrize("package", PACKAGES)
def test_on_other_ranks_experiment_is_lightnings_dummy_experiment(
    package: str, monkeypatch: pytest.MonkeyPatch, store_dir: Path
) -> None:
    pl = lightning.pytorch if package == "lightning.pytorch" else pytorch_lightning
    monkeypatch.setattr(pl.utilities.rank_zero_only, "rank", 1)
    logger = RuncardLogger(project="tiny")
    experiment = logger.experiment
    assert isinstance(experiment, pl.loggers.logger.DummyExperiment)
    assert experiment.log({"a": 1}) is None  # any attribute: a callable returning None
    assert experiment.whatever(1, k=2) is None
    assert experiment[0] is experiment
    experiment[0] = 1
    assert experiment.config.update({"x": 1}) is None  # chains do nothing as well
    experiment.summary["pinned"] = 1
    logger.log_metrics({"a": 1.0}, step=0)
    logger.log_hyperparams({"a": 1})
    logger.finalize("success")
    assert logger.log_dir is None and logger.save_dir is None
    assert not runcard.Api().runs()


def test_fit_then_test_then_a_second_fit_continue_one_run(tmp_path: Path, api: runcard.Api) -> None:
    logger = RuncardLogger(project="tiny")
    trainer = fit("lightning.pytorch", logger, tmp_path)
    trainer.test(
        trainer.lightning_module, datamodule=classes("lightning.pytorch")[1](data=DEFAULT_DATA)
    )
    fit("lightning.pytorch", logger, tmp_path)
    [run] = api.runs()
    assert run.state == "finished"
    assert "test_loss" in run.summary
    assert len(losses(api, logger)) == 8


def test_a_pickled_trainer_logs_into_the_same_run(tmp_path: Path, api: runcard.Api) -> None:
    logger = RuncardLogger(project="tiny")
    trainer = fit("lightning.pytorch", logger, tmp_path)
    copied = pickle.loads(pickle.dumps(trainer))
    copied.logger.log_metrics({"acc": 1.0}, step=100)
    copied.logger.finalize("success")
    [run] = api.runs()
    assert run.history(pandas=False)[-1]["acc"] == 1.0
    assert run.state == "finished"


def test_a_deep_copy_of_a_live_logger_logs_into_the_same_run(api: runcard.Api) -> None:
    logger = RuncardLogger(project="tiny")
    logger.log_metrics({"a": 1.0}, step=0)
    twin = copy.deepcopy(logger)
    twin.log_metrics({"a": 2.0}, step=1)
    assert twin.experiment is logger.experiment
    logger.finalize("success")
    [run] = api.runs()
    assert [row["a"] for row in run.history(pandas=False)] == [1.0, 2.0]


def test_a_store_that_cannot_be_written_warns_and_the_fit_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RUNCARD_DIR", str(blocker / "store"))
    logger = RuncardLogger(project="tiny")
    with caplog.at_level(logging.WARNING, logger="runcard"):
        trainer = fit("lightning.pytorch", logger, tmp_path)
    assert trainer.state.finished
    assert trainer.current_epoch == 1
    assert "could not start a run" in caplog.text
    assert logger.experiment.disabled
