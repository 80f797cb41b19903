"""`runcard import tensorboard` on a logdir written by Keras's own TensorBoard callback (scalar
tensors, as TensorFlow 2 writes them) and by TensorFlow's HParams API, in the tf env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import runcard

FIT = """
import sys
import numpy as np
import keras
import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

logdir = sys.argv[1]
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = (x.sum(axis=1) > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
with tf.summary.create_file_writer(logdir + "/train").as_default():
    hp.hparams({"lr": 0.1, "units": 1, "optimizer": "sgd"})
history = model.fit(
    x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
    callbacks=[keras.callbacks.TensorBoard(logdir)],
)
for name, values in history.history.items():
    print(name, *values)
"""


def test_a_keras_tensorboard_logdir_comes_in_with_its_epochs(tmp_path: Path) -> None:
    logdir = tmp_path / "logs"
    (tmp_path / "fit.py").write_text(FIT)
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "KERAS_BACKEND": "tensorflow"}
    fit = subprocess.run(
        [sys.executable, "fit.py", str(logdir)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fit.returncode == 0, fit.stderr
    logged = {
        line.split()[0]: [float(v) for v in line.split()[1:]] for line in fit.stdout.splitlines()
    }

    result = subprocess.run(
        [sys.executable, "-m", "runcard", "import", "tensorboard", str(logdir), "--project", "k"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    runs = {run.name: run for run in runcard.Api().runs("k")}
    assert set(runs) == {"train", "validation"}
    train, validation = runs["train"], runs["validation"]
    assert train.config == {"lr": 0.1, "units": 1, "optimizer": "sgd"}
    history = train.history(pandas=False)
    epochs = [row for row in history if "epoch_loss" in row]
    assert [row["_step"] for row in epochs] == [0, 1, 2]
    assert [row["epoch_loss"] for row in epochs] == pytest.approx(logged["loss"], rel=1e-6)
    assert [row["epoch_accuracy"] for row in epochs] == pytest.approx(logged["accuracy"])
    val = [row for row in validation.history(pandas=False) if "epoch_loss" in row]
    assert [row["epoch_loss"] for row in val] == pytest.approx(logged["val_loss"], rel=1e-6)
    assert validation.summary["epoch_loss"] == pytest.approx(logged["val_loss"][-1], rel=1e-6)
