"""The cases Keras's own callback tests check (keras/src/callbacks/*_test.py: fit, evaluate, two
fits, predict, logs holding numpy values), with RuncardCallback on real fits; and the issue-18
edge cases: integer metrics, copies of the callback, a store that cannot be written."""

from __future__ import annotations

import copy
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import runcard
from runcard_keras import RuncardCallback

Data = tuple[np.ndarray, np.ndarray]

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


class CountSeen(keras.callbacks.Callback):
    """Puts numpy values into the epoch logs before the callbacks after it read them, as
    Keras's own tests hand numpy values to callbacks."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        assert logs is not None
        logs["seen"] = np.int64(16 * (epoch + 1))
        logs["half"] = np.float32(0.5)
        logs["best"] = np.bool_(epoch == 0)


class CopyDuringFit(keras.callbacks.Callback):
    """Deep-copies another callback in the middle of a fit, as wrappers that clone do."""

    def __init__(self, other: keras.callbacks.Callback) -> None:
        super().__init__()
        self.other = other
        self.copies: list[Any] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.copies.append(copy.deepcopy(self.other))


def rows(api: runcard.Api, run: runcard.Run | None) -> list[dict[str, Any]]:
    assert run is not None
    return [r for r in api.run(run.path).history(pandas=False) if "loss" in r]


def test_integer_metrics_stay_integers(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    callback = RuncardCallback(project="k")
    make_model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[CountSeen(), callback])
    history = rows(api, callback.run)
    assert [r["seen"] for r in history] == [16, 32]
    assert all(type(r["seen"]) is int for r in history)
    assert [r["half"] for r in history] == [0.5, 0.5]
    assert [r["best"] for r in history] == [True, False]


def test_a_deep_copy_before_during_and_after_a_fit_works(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    callback = RuncardCallback(project="k", config={"a": 1})
    before = copy.deepcopy(callback)
    copier = CopyDuringFit(callback)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback, copier])
    after = copy.deepcopy(callback)

    run = callback.run
    assert run is not None and api.run(run.path).state == "finished"
    assert len(rows(api, run)) == 2
    during = copier.copies[0]
    assert during.run is run  # a copy made during the fit shares its run
    assert after.run is run
    # each copy is a working callback: a fit with it records a run of its own
    for twin in (before, during, after):
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[twin])
        assert twin.run is not None and twin.run.id != run.id
        assert api.run(twin.run.path).state == "finished"
        assert api.run(twin.run.path).config["a"] == 1
    assert api.run(run.path).state == "finished"
    assert len(api.runs()) == 4


def test_two_callbacks_in_one_fit_record_two_runs(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    first, second = RuncardCallback(project="one"), RuncardCallback(project="two")
    make_model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[first, second])
    assert first.run is not None and second.run is not None
    assert {first.run.project, second.run.project} == {"one", "two"}
    for callback in (first, second):
        assert len(rows(api, callback.run)) == 2
    assert runcard.run is None


def test_fit_evaluate_a_second_fit_and_predict(
    api: runcard.Api, data: Data, make_model: Callable[..., keras.Model]
) -> None:
    x, y = data
    model = make_model()
    callback = RuncardCallback(project="k")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[callback])
    first = callback.run
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    second = callback.run
    predictions = model.predict(x, batch_size=4, verbose=0, callbacks=[callback])

    assert predictions.shape == (16, 1)
    assert first is not None and second is not None and first.id != second.id
    assert "test_loss" in api.run(first.path).summary
    assert len(rows(api, first)) == 1 and len(rows(api, second)) == 2
    assert len(api.runs()) == 2  # predict records nothing


def test_a_store_that_cannot_be_written_warns_and_the_fit_goes_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    data: Data,
    make_model: Callable[..., keras.Model],
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RUNCARD_DIR", str(blocker / "store"))
    x, y = data
    callback = RuncardCallback(project="k")
    with caplog.at_level(logging.WARNING, logger="runcard"):
        history = make_model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
        loss = make_model().evaluate(x, y, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 2
    assert loss[0] >= 0
    assert "could not start a run" in caplog.text
    assert callback.run is not None and callback.run.disabled


def test_a_disk_that_fills_during_the_fit_warns_and_the_script_completes(
    subprocess_env: dict[str, str],
) -> None:
    # RLIMIT_FSIZE in the child makes every write past the limit fail as on a full disk
    code = textwrap.dedent(
        """
        import resource, signal
        import keras, numpy as np
        from runcard_keras import RuncardCallback

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        class FillDisk(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 0:
                    resource.setrlimit(resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))

        x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, x[:, :1], epochs=3, verbose=0,
                            callbacks=[FillDisk(), RuncardCallback(project="full")])
        print("epochs", len(history.history["loss"]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **subprocess_env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "epochs 3" in done.stdout
    assert "could not be stored in full" in done.stderr, done.stderr
