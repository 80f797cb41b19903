"""RuncardLogger in real Lightning fits (both import paths), read back through `runcard.Api`."""

from __future__ import annotations

import dataclasses
import pickle
import signal
from argparse import Namespace
from pathlib import Path
from typing import Any

import lightning.pytorch
import pytest
import pytorch_lightning
from lightning_tiny import DEFAULT_DATA, DEFAULT_OPTIMIZER, PACKAGES, classes

import runcard
from runcard_lightning import RuncardLogger

pytestmark = pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")


def make_trainer(package: str, logger: Any, tmp_path: Path, **overrides: Any) -> Any:
    _, _, pl = classes(package)
    settings: dict[str, Any] = {
        "max_epochs": 2,
        "accelerator": "cpu",
        "devices": 1,
        "logger": logger,
        "log_every_n_steps": 1,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "enable_checkpointing": False,
        "default_root_dir": tmp_path,
    }
    settings.update(overrides)
    return pl.Trainer(**settings)


def make_model_and_data(package: str, **hparams: Any) -> tuple[Any, Any]:
    model_class, data_class, _ = classes(package)
    model = model_class(lr=0.05, optimizer=DEFAULT_OPTIMIZER, **hparams)
    return model, data_class(batch_size=4, data=DEFAULT_DATA)


def only_run(api: runcard.Api) -> runcard.ApiRun:
    runs = api.runs()
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize("package", PACKAGES)
def test_a_fit_records_nested_hparams_trainer_settings_and_metrics_in_one_finished_run(
    package: str, tmp_path: Path, api: runcard.Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, pl = classes(package)
    monkeypatch.setenv("PL_GLOBAL_SEED", "0")  # restored after the test; seed_everything sets it
    pl.seed_everything(7, verbose=False)
    logger = RuncardLogger(project="tiny", tags=["unit"])
    trainer = make_trainer(
        package, logger, tmp_path, accumulate_grad_batches=2, gradient_clip_val=0.5
    )
    model, data = make_model_and_data(package)
    trainer.fit(model, datamodule=data)

    run = api.run(f"tiny/{logger.version}")
    assert only_run(api).id == run.id
    assert run.state == "finished"
    assert run.tags == ["unit"]
    config = run.config
    assert config["lr"] == 0.05
    assert config["hidden"] == 4
    assert config["optimizer"] == {"name": "sgd", "momentum": 0.9}  # the module's, nested
    assert config["batch_size"] == 4
    assert config["data"] == {"samples": 16, "noise": 0.1}  # the datamodule's, nested
    settings = config["trainer"]
    assert settings["max_epochs"] == 2
    assert settings["max_steps"] == -1
    assert settings["accumulate_grad_batches"] == 2
    assert settings["gradient_clip_val"] == 0.5
    assert settings["precision"] == "32-true"
    assert settings["strategy"] == "SingleDeviceStrategy"
    assert settings["accelerator"] == "CPUAccelerator"
    assert settings["devices"] == 1
    assert settings["seed"] == 7
    provenance = run.provenance()
    for key in ("lr", "optimizer.momentum", "data.samples", "trainer.max_epochs"):
        assert [revision["source"] for revision in provenance[key]] == ["lightning"], key

    rows = run.history(pandas=False)
    # 4 batches of 4 per epoch, an optimizer step every 2: Lightning's steps 0..3, val at 1, 3
    assert [row["_step"] for row in rows] == [0, 1, 2, 3]
    assert all("loss" in row and "epoch" in row for row in rows)
    assert [row["epoch"] for row in rows if "val_loss" in row] == [0, 1]
    assert run.summary["loss"] == rows[-1]["loss"]


@pytest.mark.parametrize("package", PACKAGES)
def test_a_failing_fit_marks_the_run_failed(package: str, tmp_path: Path, api: runcard.Api) -> None:
    logger = RuncardLogger(project="tiny")
    model, data = make_model_and_data(package)
    model.failure = RuntimeError("diverged")
    with pytest.raises(RuntimeError, match="diverged"):
        make_trainer(package, logger, tmp_path).fit(model, datamodule=data)

    run = only_run(api)
    assert run.state == "failed"
    assert run.exit_code == 1
    assert run.config["lr"] == 0.05  # what was recorded before the failure stays
    assert [row["_step"] for row in run.history(pandas=False)] == [0]


def test_a_keyboard_interrupt_marks_the_run_failed_with_exit_code_130(
    tmp_path: Path, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny")
    model, data = make_model_and_data("lightning.pytorch")
    model.failure = KeyboardInterrupt()
    handler = signal.getsignal(signal.SIGINT)
    try:
        # Lightning turns the interrupt into a graceful shutdown and sys.exit(1)
        with pytest.raises(SystemExit):
            make_trainer("lightning.pytorch", logger, tmp_path).fit(model, datamodule=data)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores SIGINT from then on

    run = only_run(api)
    assert run.state == "failed"  # runcard has no public "crashed": failed, with SIGINT's code
    assert run.exit_code == 130


@pytest.mark.parametrize("package", PACKAGES)
def test_fit_then_test_with_one_logger_is_one_run(
    package: str, tmp_path: Path, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny")
    trainer = make_trainer(package, logger, tmp_path, max_epochs=1)
    model, data = make_model_and_data(package)
    trainer.fit(model, datamodule=data)
    assert api.run(f"tiny/{logger.version}").state == "finished"
    trainer.test(model, datamodule=data)

    run = only_run(api)
    assert run.id == logger.version
    assert run.state == "finished"
    rows = run.history(pandas=False)
    assert sum("loss" in row for row in rows) == 4
    assert sum("test_loss" in row for row in rows) == 1
    assert "test_loss" in run.summary
    # the hparams and trainer settings logged again by test() are equal: nothing new recorded
    provenance = run.provenance()
    assert len(provenance["lr"]) == 1
    assert len(provenance["trainer.max_epochs"]) == 1


def test_a_test_on_a_new_trainer_keeps_the_fit_trainer_settings(
    tmp_path: Path, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny")
    model, data = make_model_and_data("lightning.pytorch")
    make_trainer("lightning.pytorch", logger, tmp_path, max_epochs=1).fit(model, datamodule=data)
    make_trainer("lightning.pytorch", logger, tmp_path, max_epochs=5).test(model, datamodule=data)

    run = only_run(api)
    assert run.config["trainer"]["max_epochs"] == 1
    assert run.state == "finished"


def test_an_hparam_changed_after_init_is_recorded_as_a_revision_of_the_initial_value(
    tmp_path: Path, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny")
    model, data = make_model_and_data("pytorch_lightning")
    model.lr_in_setup = 0.2  # Lightning itself logs hparams_initial: lr=0.05
    make_trainer("pytorch_lightning", logger, tmp_path, max_epochs=1).fit(model, datamodule=data)

    run = only_run(api)
    assert run.config["lr"] == 0.2
    assert [(r["value"], r["source"]) for r in run.provenance()["lr"]] == [
        (0.05, "lightning"),
        (0.2, "lightning"),
    ]
    assert len(run.provenance()["hidden"]) == 1


def test_checkpoint_paths_are_recorded_in_the_summary(tmp_path: Path, api: runcard.Api) -> None:
    _, _, pl = classes("lightning.pytorch")
    checkpoint = pl.callbacks.ModelCheckpoint(monitor="val_loss", save_last=True)
    logger = RuncardLogger(project="tiny")
    trainer = make_trainer(
        "lightning.pytorch", logger, tmp_path, enable_checkpointing=True, callbacks=[checkpoint]
    )
    model, data = make_model_and_data("lightning.pytorch")
    trainer.fit(model, datamodule=data)

    summary = only_run(api).summary
    best = Path(summary["checkpoint.best_model_path"])
    assert best.is_file()
    # no dir given: save_dir is the run's folder, and checkpoints go under it
    run_dir = Path(logger.experiment.dir)
    assert best.parent == run_dir / "tiny" / logger.version / "checkpoints"
    assert Path(summary["checkpoint.last_model_path"]).name == "last.ckpt"
    assert summary["checkpoint.best_model_score"] == pytest.approx(
        float(checkpoint.best_model_score)
    )
    assert summary["checkpoint.monitor"] == "val_loss"


@dataclasses.dataclass
class Schedule:
    warmup: int = 2
    decay: dict[str, float] = dataclasses.field(default_factory=lambda: {"gamma": 0.5})


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"lr": 0.1, "model": {"depth": 3, "act": "relu"}}, id="nested-dict"),
        pytest.param(Namespace(lr=0.1, model={"depth": 3, "act": "relu"}), id="namespace"),
        pytest.param(
            lightning.pytorch.utilities.parsing.AttributeDict(
                lr=0.1, model={"depth": 3, "act": "relu"}
            ),
            id="attribute-dict",
        ),
        pytest.param(
            pytorch_lightning.utilities.parsing.AttributeDict(
                lr=0.1, model={"depth": 3, "act": "relu"}
            ),
            id="pl-attribute-dict",
        ),
    ],
)
def test_log_hyperparams_merges_nested_values_once_with_source_lightning(
    params: Any, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny")
    logger.log_hyperparams(params)
    logger.log_hyperparams(params)  # again, equal: nothing new
    logger.log_hyperparams({"schedule": Schedule()})
    logger.finalize("success")

    run = only_run(api)
    assert run.config == {
        "lr": 0.1,
        "model": {"depth": 3, "act": "relu"},
        "schedule": {"warmup": 2, "decay": {"gamma": 0.5}},
    }
    provenance = run.provenance()
    assert set(provenance) == {
        "lr",
        "model.depth",
        "model.act",
        "schedule.warmup",
        "schedule.decay.gamma",
    }
    assert all(
        [revision["source"] for revision in revisions] == ["lightning"]
        for revisions in provenance.values()
    )


def test_a_changed_hyperparameter_is_recorded_as_a_revision_with_one_warning(
    api: runcard.Api,
) -> None:
    logger = RuncardLogger(project="tiny")
    logger.log_hyperparams({"lr": 0.1, "model": {"depth": 3}})
    with pytest.warns(runcard.ConfigWarning, match="'model.depth' changed from 3 to 4"):
        logger.log_hyperparams({"lr": 0.1, "model": {"depth": 4}})
    logger.finalize("success")

    run = only_run(api)
    assert run.config["model"] == {"depth": 4}
    assert [r["value"] for r in run.provenance()["model.depth"]] == [3, 4]
    assert len(run.provenance()["lr"]) == 1


def test_allow_val_change_passed_to_the_logger_changes_hyperparameters_silently(
    api: runcard.Api,
) -> None:
    logger = RuncardLogger(project="tiny", allow_val_change=True)
    logger.log_hyperparams({"lr": 0.1})
    logger.log_hyperparams({"lr": 0.2})  # no warning: ConfigWarning is an error in this suite
    logger.finalize("success")
    assert [r["value"] for r in only_run(api).provenance()["lr"]] == [0.1, 0.2]


def test_metrics_land_at_lightnings_step_with_the_prefix(api: runcard.Api) -> None:
    logger = RuncardLogger(project="tiny", prefix="train")
    logger.log_metrics({"loss": 0.5, "acc": 0.25}, step=10)
    logger.log_metrics({"val_loss": 0.75}, step=10)  # same step: same row
    logger.log_metrics({"loss": 0.4}, step=12)
    logger.finalize("success")

    rows = [
        {k: v for k, v in row.items() if k != "_timestamp"}
        for row in only_run(api).history(pandas=False)
    ]
    assert rows == [
        {"_step": 10, "train-loss": 0.5, "train-acc": 0.25, "train-val_loss": 0.75},
        {"_step": 12, "train-loss": 0.4},
    ]


def test_the_run_starts_on_first_use_and_the_logger_reports_name_version_and_dirs(
    store_dir: Path, tmp_path: Path, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny", name="first-try")
    assert not store_dir.exists()  # constructing stores nothing
    assert logger.name == "tiny"
    assert len(logger.version) == 8
    assert RuncardLogger(dir=tmp_path / "elsewhere").save_dir == str(tmp_path / "elsewhere")

    run = logger.experiment
    assert isinstance(run, runcard.Run)
    assert runcard.run is run  # with no other run live, the logger's run is the current one
    assert logger.save_dir == run.dir  # no dir given: the run's folder
    assert run.id == logger.version
    assert run.name == "first-try"
    assert logger.log_dir == run.dir
    assert api.run(run.path).state == "running"
    logger.finalize("success")
    assert logger.log_dir == run.dir  # reading it afterwards does not continue the run
    assert api.run(run.path).state == "finished"


def test_the_logger_pickles_before_and_after_its_run_exists(
    store_dir: Path, api: runcard.Api
) -> None:
    logger = RuncardLogger(project="tiny", tags=["pickled"])
    copy = pickle.loads(pickle.dumps(logger))
    assert not store_dir.exists()
    assert copy.version == logger.version
    assert copy.name == "tiny"

    logger.log_metrics({"loss": 1.0}, step=0)  # the run exists from here on
    copy = pickle.loads(pickle.dumps(logger))
    copy.log_metrics({"loss": 0.5}, step=1)  # in this process: the same live run
    assert copy.experiment is logger.experiment
    copy.finalize("success")

    run = only_run(api)
    assert run.id == logger.version
    assert run.tags == ["pickled"]
    assert run.state == "finished"
    assert [(row["_step"], row["loss"]) for row in run.history(pandas=False)] == [
        (0, 1.0),
        (1, 0.5),
    ]


def test_an_unpickled_copy_continues_a_finished_run_instead_of_starting_another(
    api: runcard.Api,
) -> None:
    logger = RuncardLogger(project="tiny")
    logger.log_hyperparams({"lr": 0.1})
    logger.finalize("success")
    copy = pickle.loads(pickle.dumps(logger))
    copy.log_metrics({"test_loss": 0.3}, step=5)
    copy.finalize("success")

    run = only_run(api)
    assert run.state == "finished"
    assert run.config == {"lr": 0.1}
    assert run.history(pandas=False)[-1]["test_loss"] == 0.3


def test_an_existing_run_passed_as_run_is_used_and_left_to_its_owner(
    tmp_path: Path, api: runcard.Api
) -> None:
    run = runcard.init(project="own", config={"note": "mine"})
    logger = RuncardLogger(run=run)
    assert logger.version == run.id
    model, data = make_model_and_data("pytorch_lightning")
    make_trainer("pytorch_lightning", logger, tmp_path, max_epochs=1).fit(model, datamodule=data)
    assert logger.experiment is run
    assert api.run(run.path).state == "running"  # finalize leaves it open
    run.finish()

    stored = api.run(run.path)
    assert stored.state == "finished"
    assert stored.config["note"] == "mine"
    assert stored.config["lr"] == 0.05
    assert stored.config["trainer"]["max_epochs"] == 1


def test_under_reinit_return_previous_the_logger_joins_the_live_run_and_leaves_it_open(
    tmp_path: Path, api: runcard.Api
) -> None:
    host = runcard.init(project="hydra-job", config={"job": 1})  # as the Hydra adapter would
    previous = runcard.setup(reinit="return_previous")
    try:
        logger = RuncardLogger(project="ignored")
        model, data = make_model_and_data("lightning.pytorch")
        make_trainer("lightning.pytorch", logger, tmp_path, max_epochs=1).fit(
            model, datamodule=data
        )
    finally:
        runcard.setup(reinit=previous)
    assert logger.version == host.id
    assert api.run(host.path).state == "running"
    host.finish()

    run = only_run(api)
    assert run.config["job"] == 1
    assert run.config["lr"] == 0.05
    assert run.state == "finished"


def test_wrong_arguments_fail_when_the_logger_is_made() -> None:
    with pytest.raises(TypeError, match="'projcet'"):
        RuncardLogger(projcet="typo")
    run = runcard.init(project="own")
    with pytest.raises(ValueError, match="project"):
        RuncardLogger(run=run, project="other")


def test_one_logger_class_is_a_logger_for_both_import_paths() -> None:
    logger = RuncardLogger()
    assert isinstance(logger, lightning.pytorch.loggers.Logger)
    assert isinstance(logger, pytorch_lightning.loggers.Logger)
