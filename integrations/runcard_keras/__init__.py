"""runcard_keras: record Keras 3 training in runcard, on any backend.

Usage::

    import keras
    from runcard_keras import RuncardCallback

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=10, validation_split=0.2,
              callbacks=[RuncardCallback(project="demo", config={"batch_size": 32})])

The callback starts a run when training begins (or uses `run=`, or the active run), records the
fit parameters, the optimizer configuration (a learning-rate schedule included), the loss and
metric names, the model's name and parameter counts, the Keras version and backend into the
config under `keras.*` (provenance source "keras"), logs each epoch's metrics with the epoch as
step, and finishes the run it started when training ends. `model.evaluate(...,
callbacks=[callback])` puts the results into the run's summary as `test_<metric>`.

Install with `pip install "runcard[keras]"` plus a backend (TensorFlow, or torch / JAX with
`KERAS_BACKEND` set).
"""

from __future__ import annotations

from runcard_keras.callback import RuncardCallback

__all__ = ["RuncardCallback"]
