"""Record a Keras 3 `fit` with runcard: `python examples/keras_fit.py` (synthetic data, seconds).

Runs on any Keras backend: `KERAS_BACKEND=torch python examples/keras_fit.py`. Prints the run's
path, what the callback recorded in its config, and its history read back through the Api.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before Keras imports TensorFlow

import keras
import numpy as np

import runcard
from runcard_keras import RuncardCallback


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = x @ rng.normal(size=(8, 1)).astype("float32") + 0.1

    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)],
        name="regressor",
    )
    schedule = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=18)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse", metrics=["mae"])

    # Keras 3 does not tell callbacks the batch size: record it with the init config.
    callback = RuncardCallback(project="keras-example", config={"batch_size": 32})
    model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0, callbacks=[callback])
    model.evaluate(x, y, verbose=0, callbacks=[callback])  # -> summary test_loss, test_mae

    assert callback.run is not None
    stored = runcard.Api().run(callback.run.path)
    print(f"run {stored.path}: {stored.state}")
    for key in ("fit", "optimizer", "loss", "metrics", "model", "backend"):
        print(f"  keras.{key} = {stored.config['keras'][key]}")
    for row in stored.history(pandas=False):
        print(f"  epoch {row['_step']}: loss={row['loss']:.4f} val_loss={row['val_loss']:.4f}")
    print(f"  summary test_loss = {stored.summary['test_loss']:.4f}")


if __name__ == "__main__":
    main()
