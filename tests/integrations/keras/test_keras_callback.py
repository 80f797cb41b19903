"""RuncardCallback on a real Keras 3 fit, read back through the public Api."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest

import runcard
from helpers import REPO, run_script
from runcard_keras import RuncardCallback

Data = tuple[np.ndarray, np.ndarray]

# Keras 3.15 turns torch tensors into numbers with np.array(), which numpy 2 answers with this
# warning on every batch: Keras's own noise, not the adapter's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def epoch_rows(history: list[dict]) -> list[dict]:
    return [row for row in history if "loss" in row]


def test_a_fit_is_recorded_with_its_config_its_epoch_history_and_a_finished_state(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    callback = RuncardCallback(project="keras-tests", name="tiny-fit")

    model.fit(x, y, epochs=3, batch_size=4, validation_split=0.25, verbose=0, callbacks=[callback])

    stored = api.runs("keras-tests")[0]
    assert (stored.name, stored.state) == ("tiny-fit", "finished")
    recorded = stored.config["keras"]
    assert recorded["fit"] == {
        "epochs": 3,
        "steps_per_epoch": 3,  # 12 training samples after the split, 4 per batch
        "initial_epoch": 0,
        "validation": True,
    }
    assert recorded["optimizer"]["class"] == "SGD"
    assert recorded["optimizer"]["learning_rate"] == pytest.approx(0.05)
    assert recorded["loss"] == "mse"
    assert recorded["metrics"] == ["mae"]
    assert recorded["model"] == {
        "name": "tiny",
        "class": "Sequential",
        "trainable_params": 3 * 4 + 4 + 4 + 1,
        "non_trainable_params": 0,
    }
    assert recorded["version"] == keras.__version__
    assert recorded["backend"] == keras.config.backend()
    provenance = stored.provenance()
    assert {rev["source"] for rev in provenance["keras.fit.epochs"]} == {"keras"}
    assert {rev["source"] for rev in provenance["keras.optimizer.learning_rate"]} == {"keras"}

    rows = stored.history(pandas=False)
    assert [row["_step"] for row in rows] == [0, 1, 2]
    for row, loss, val_loss in zip(
        rows, model.history.history["loss"], model.history.history["val_loss"], strict=True
    ):
        assert row["loss"] == pytest.approx(loss)
        assert row["val_loss"] == pytest.approx(val_loss)
        assert "mae" in row and "val_mae" in row
    # a constant learning rate is logged once, at the first epoch
    assert [row.get("learning_rate") for row in rows] == [pytest.approx(0.05), None, None]
    assert stored.summary["loss"] == pytest.approx(model.history.history["loss"][-1])


def test_a_learning_rate_schedule_is_recorded_with_its_config_and_logged_as_it_changes(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate=0.1, decay_steps=4, decay_rate=0.5
    )
    model = make_model(optimizer=keras.optimizers.Adam(schedule))
    run = runcard.init(project="keras-tests")

    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[RuncardCallback(run=run)])
    run.finish()

    stored = api.run(run.path)
    optimizer = stored.config["keras"]["optimizer"]
    assert optimizer["class"] == "Adam"
    assert optimizer["learning_rate"] == pytest.approx(0.1)  # the rate when the fit began
    assert optimizer["learning_rate_schedule"] == {
        "class_name": "ExponentialDecay",
        "initial_learning_rate": 0.1,
        "decay_steps": 4,
        "decay_rate": 0.5,
        "staircase": False,
        "name": "ExponentialDecay",
    }
    rates = [row["learning_rate"] for row in stored.history(pandas=False)]
    # 4 steps per epoch, halving every 4 steps: the rate after each epoch
    assert rates == pytest.approx([0.05, 0.025, 0.0125])


def test_one_callback_records_two_fits_as_two_finished_runs(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    callback = RuncardCallback(project="keras-tests")

    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[callback])

    first, second = reversed(api.runs("keras-tests"))  # newest first
    assert first.id != second.id
    assert first.state == second.state == "finished"
    assert first.config["keras"]["fit"]["epochs"] == 2
    assert second.config["keras"]["fit"]["epochs"] == 3
    assert second.config["keras"]["fit"]["steps_per_epoch"] == 2
    assert [row["_step"] for row in first.history(pandas=False)] == [0, 1]
    assert [row["_step"] for row in second.history(pandas=False)] == [0, 1, 2]
    assert runcard.run is None


def test_two_fits_into_a_given_run_continue_its_history_and_leave_it_open(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    run = runcard.init(project="keras-tests", config={"batch_size": 4})
    callback = RuncardCallback(run=run)

    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=4, initial_epoch=2, batch_size=4, verbose=0, callbacks=[callback])

    assert api.run(run.path).state == "running"
    run.finish()
    stored = api.run(run.path)
    assert stored.state == "finished"
    assert [row["_step"] for row in epoch_rows(stored.history(pandas=False))] == [0, 1, 2, 3]
    assert stored.config["batch_size"] == 4
    assert stored.config["keras"]["fit"]["epochs"] == 4
    assert stored.config["keras"]["fit"]["initial_epoch"] == 2
    revisions = stored.provenance()["keras.fit.epochs"]
    assert [(rev["value"], rev["source"]) for rev in revisions] == [(2, "keras"), (4, "keras")]


def test_the_active_run_is_used_and_left_open(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    run = runcard.init(project="keras-tests")

    make_model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[RuncardCallback()])

    assert runcard.run is run
    assert api.run(run.path).state == "running"
    run.finish()
    (stored,) = api.runs("keras-tests")
    assert (stored.path, stored.state) == (run.path, "finished")
    assert stored.config["keras"]["fit"]["epochs"] == 2


def test_evaluate_results_go_into_the_summary_of_the_fit_run(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    callback = RuncardCallback(project="keras-tests")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])

    results = model.evaluate(x, y, verbose=0, callbacks=[callback], return_dict=True)

    (stored,) = api.runs("keras-tests")
    assert stored.state == "finished"
    assert stored.summary["test_loss"] == pytest.approx(results["loss"])
    assert stored.summary["test_mae"] == pytest.approx(results["mae"])
    assert stored.summary["loss"] == pytest.approx(model.history.history["loss"][-1])


def test_evaluate_alone_records_the_model_and_its_results_in_a_run_of_its_own(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()

    results = model.evaluate(
        x, y, verbose=0, return_dict=True, callbacks=[RuncardCallback(project="keras-tests")]
    )

    (stored,) = api.runs("keras-tests")
    assert stored.state == "finished"
    assert stored.summary["test_loss"] == pytest.approx(results["loss"])
    assert stored.config["keras"]["model"]["name"] == "tiny"
    assert "fit" not in stored.config["keras"]


def test_batch_metrics_are_logged_every_n_batches_beside_the_epoch_rows(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    callback = RuncardCallback(project="keras-tests", log_every_n_batches=3)

    make_model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])

    (stored,) = api.runs("keras-tests")
    rows = stored.history(pandas=False)
    batch_rows = [row for row in rows if "batch.step" in row]
    # 4 batches per epoch, 8 in all: every third
    assert [(row["_step"], row["batch.step"]) for row in batch_rows] == [(0, 3), (1, 6)]
    assert all(isinstance(row["batch.loss"], float) for row in batch_rows)
    assert [row["_step"] for row in epoch_rows(rows)] == [0, 1]


def test_with_capture_model_off_only_the_fit_and_the_framework_are_recorded(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    callback = RuncardCallback(project="keras-tests", capture_model=False)

    make_model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])

    (stored,) = api.runs("keras-tests")
    assert sorted(stored.config["keras"]) == ["backend", "fit", "version"]


def test_an_array_valued_metric_is_logged_element_by_element(api: runcard.Api, data: Data) -> None:
    x, y = data
    labels = np.concatenate([y > 0, y <= 0], axis=1).astype("float32")
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation="sigmoid")], name="two_labels"
    )
    model.compile(
        optimizer="sgd",
        loss="binary_crossentropy",
        metrics=[keras.metrics.F1Score(average=None, threshold=0.5)],
    )

    model.fit(x, labels, epochs=2, batch_size=8, verbose=0, callbacks=[RuncardCallback()])

    (stored,) = api.runs()
    rows = stored.history(pandas=False)
    assert [row["_step"] for row in rows] == [0, 1]
    assert all(isinstance(row[f"f1_score.{i}"], float) for row in rows for i in (0, 1))
    assert stored.config["keras"]["metrics"] == ["f1_score"]
    assert stored.config["keras"]["loss"] == "binary_crossentropy"


def test_a_fit_that_raised_leaves_its_run_failed_once_the_callback_is_used_again(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    callback = RuncardCallback(project="keras-tests")

    def explode(epoch: int, logs: dict) -> None:
        if epoch == 1:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        model.fit(
            x,
            y,
            epochs=3,
            batch_size=8,
            verbose=0,
            callbacks=[callback, keras.callbacks.LambdaCallback(on_epoch_end=explode)],
        )
    (failed,) = api.runs("keras-tests")
    assert failed.state == "running"  # Keras does not tell callbacks that fit raised

    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[callback])

    failed = api.run(failed.path)
    assert failed.state == "failed"
    assert [row["_step"] for row in failed.history(pandas=False)] == [0, 1]
    assert [run.state for run in api.runs("keras-tests")] == ["finished", "failed"]


def test_an_exception_inside_a_run_block_leaves_that_run_failed(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    boom = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: 1 / 0)

    with pytest.raises(ZeroDivisionError), runcard.init(project="keras-tests") as run:
        model.fit(x, y, epochs=2, verbose=0, callbacks=[RuncardCallback(), boom])

    assert api.run(run.path).state == "failed"


FAILING_SCRIPT = """
import os, sys
import numpy as np
import keras
from runcard_keras import RuncardCallback

def explode(epoch, logs):
    if epoch == 1:
        raise RuntimeError("boom at epoch 1")

model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="failing")
model.compile(optimizer="sgd", loss="mse")
x = np.ones((8, 2), dtype="float32")
callbacks = [
    RuncardCallback(project="keras-tests"),
    keras.callbacks.LambdaCallback(on_epoch_end=explode),
]
if sys.argv[1] == "caught":
    try:
        model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=callbacks)
    except RuntimeError as exc:
        print("caught:", exc)
else:
    model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=callbacks)
"""


@pytest.mark.parametrize("how", ["uncaught", "caught"])
def test_an_exception_during_fit_leaves_the_run_failed_when_the_script_ends(
    how: str, api: runcard.Api, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    script = tmp_path / "train_failing.py"
    script.write_text(textwrap.dedent(FAILING_SCRIPT))

    result = run_script(script, how, env=subprocess_env, check=False)

    assert result.returncode == (1 if how == "uncaught" else 0), result.stderr
    assert "boom at epoch 1" in (result.stderr if how == "uncaught" else result.stdout)
    (stored,) = api.runs("keras-tests")
    assert stored.state == "failed"
    assert stored.config["keras"]["model"]["name"] == "failing"
    assert [row["_step"] for row in stored.history(pandas=False)] == [0, 1]


def test_without_keras_the_callback_fails_at_construction_naming_the_extra(
    subprocess_env: dict[str, str],
) -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["keras"] = None  # as if Keras were not installed
        import runcard_keras  # importing the adapter still works
        try:
            runcard_keras.RuncardCallback(project="p")
        except ModuleNotFoundError as exc:
            print(exc)
        else:
            raise SystemExit("no error at construction")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **subprocess_env},
        timeout=120,
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert 'pip install "runcard[keras]"' in result.stdout
    assert "keras" in result.stdout


def test_arguments_that_runcard_init_does_not_take_fail_at_construction() -> None:
    with pytest.raises(TypeError, match="projekt"):
        RuncardCallback(projekt="typo")
    with pytest.raises(runcard.UsageError, match="not both"):
        RuncardCallback(run=runcard.init(mode="disabled"), project="p")
    with pytest.raises(ValueError, match="log_every_n_batches"):
        RuncardCallback(log_every_n_batches=0)


def test_the_example_script_runs_and_records_a_finished_run(
    api: runcard.Api, subprocess_env: dict[str, str]
) -> None:
    result = run_script(REPO / "examples" / "keras_fit.py", env=subprocess_env)

    (stored,) = api.runs("keras-example")
    assert stored.state == "finished"
    assert stored.path in result.stdout
    assert stored.config["keras"]["fit"]["epochs"] == 3


def test_the_overhead_benchmark_runs(subprocess_env: dict[str, str]) -> None:
    result = run_script(
        REPO / "benchmarks" / "keras_overhead.py",
        *("--fits", "1", "--epochs", "1", "--samples", "64"),
        env=subprocess_env,
    )

    assert "overhead" in result.stdout


class HalvingRate(keras.optimizers.schedules.LearningRateSchedule):
    """A schedule without `get_config()`: Keras cannot serialize it."""

    def __call__(self, step: object) -> object:
        return 0.1 * 0.5 ** keras.ops.floor(keras.ops.cast(step, "float32") / 4)


def test_an_optimizer_keras_cannot_serialize_is_recorded_by_class_and_rate_and_fit_goes_on(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model(optimizer=keras.optimizers.SGD(HalvingRate()))

    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[RuncardCallback()])

    (stored,) = api.runs()
    assert stored.state == "finished"
    recorded = stored.config["keras"]
    assert recorded["model"]["name"] == "tiny"
    assert recorded["optimizer"] == {"class": "SGD", "learning_rate": 0.1}
    assert recorded["loss"] == "mse"
    rates = [row["learning_rate"] for row in stored.history(pandas=False)]
    assert rates == pytest.approx([0.05, 0.025])
