"""Keras adapter tests: a real Keras 3 (TensorFlow or, with KERAS_BACKEND=torch, torch) on tiny
models and synthetic data; results are read back through `runcard.Api`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

# Before Keras is imported: it writes keras.json under KERAS_HOME, and TensorFlow is chatty.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="runcard-keras-home-")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np

import runcard_keras

INTEGRATIONS = Path(runcard_keras.__file__).resolve().parent.parent


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    """16 samples of 3 features and one target: batch_size=4 gives 4 steps per epoch."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")
    return x, y


@pytest.fixture
def make_model() -> Callable[..., keras.Model]:
    def make(optimizer: object = None, metrics: list[object] | None = None) -> keras.Model:
        model = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)],
            name="tiny",
        )
        model.compile(
            optimizer=optimizer if optimizer is not None else keras.optimizers.SGD(0.05),
            loss="mse",
            metrics=["mae"] if metrics is None else metrics,
        )
        return model

    return make


@pytest.fixture
def subprocess_env(store_dir: Path) -> dict[str, str]:
    """Environment for scripts run in a fresh interpreter: the adapter importable, the test's
    store, and Keras kept quiet and out of the home directory."""
    path = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": str(INTEGRATIONS) + (os.pathsep + path if path else ""),
        "RUNCARD_DIR": str(store_dir),
    }
