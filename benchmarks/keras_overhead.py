"""What `RuncardCallback` adds to a small Keras `fit`: `python benchmarks/keras_overhead.py`.

Fits one small model again and again, taking turns with and without the callback (the first fit
of each kind is a warm-up: tracing, the store's creation), and prints for each kind the median
fit time (wall clock, and process CPU time) with the overhead in percent, and the time the
training thread spent inside the callback's hooks: on a busy machine the fit-time differences
are mostly noise, the time in the hooks is what the callback adds. Runs on the backend Keras is set to (`KERAS_BACKEND`).
The runs go to a temporary store. A benchmark, not a test: nothing is asserted.

    python benchmarks/keras_overhead.py [--fits 7] [--epochs 5] [--samples 2048] [--batch 32]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before Keras imports TensorFlow
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np

import runcard
from runcard_keras import RuncardCallback

BASELINE = "without callback"
HOOKS = ("set_params", "on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


class TimedCallback(RuncardCallback):
    """`RuncardCallback` adding up the time the training thread spends in its hooks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.seconds = 0.0
        super().__init__(*args, **kwargs)
        batch_hook = vars(self).get("on_train_batch_end")  # set with log_every_n_batches
        if batch_hook is not None:
            self.on_train_batch_end = _timed(batch_hook, self)


def _timed(hook: Callable[..., Any], owner: TimedCallback | None = None) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        callback = owner if owner is not None else args[0]
        start = time.perf_counter()
        try:
            return hook(*args, **kwargs)
        finally:
            callback.seconds += time.perf_counter() - start

    return timed


for _name in HOOKS:
    setattr(TimedCallback, _name, _timed(getattr(RuncardCallback, _name)))


def _model(features: int) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ],
        name="bench",
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=7, help="timed fits of each kind")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 20)).astype("float32")
    y = (x @ rng.normal(size=(20, 1))).astype("float32")
    model = _model(x.shape[1])
    store = tempfile.mkdtemp(prefix="runcard-keras-bench-")

    def fit(callback: TimedCallback | None) -> tuple[float, float, float]:
        """(wall seconds, process CPU seconds, seconds in the callback) of one fit."""
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(
            x,
            y,
            epochs=args.epochs,
            batch_size=args.batch,
            validation_split=0.2,
            verbose=0,
            callbacks=[callback] if callback is not None else [],
        )
        in_callback = callback.seconds if callback is not None else 0.0
        return time.perf_counter() - wall, time.process_time() - cpu, in_callback

    def given_run() -> tuple[float, float, float]:
        run = runcard.init(project="keras-bench", dir=store)  # opened and finished untimed
        try:
            return fit(TimedCallback(run=run))
        finally:
            run.finish()

    variants: dict[str, Callable[[], tuple[float, float, float]]] = {
        BASELINE: lambda: fit(None),
        "RuncardCallback() (starts and finishes a run)": lambda: fit(
            TimedCallback(project="keras-bench", dir=store)
        ),
        "RuncardCallback(run=run)": given_run,
        "RuncardCallback(log_every_n_batches=10)": lambda: fit(
            TimedCallback(project="keras-bench", dir=store, log_every_n_batches=10)
        ),
    }
    for measure in variants.values():  # warm-up: tracing, the store's creation
        measure()
    kinds = list(variants)
    times: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in kinds}
    for i in range(args.fits):
        for kind in kinds if i % 2 == 0 else reversed(kinds):  # taking turns, both orders
            times[kind].append(variants[kind]())

    steps = args.epochs * -(-int(args.samples * 0.8) // args.batch)
    print(
        f"Keras {keras.__version__} ({keras.config.backend()} backend): {args.samples} samples "
        f"(20% for validation), batch {args.batch}, {args.epochs} epochs = {steps} training "
        f"steps per fit; medians of {args.fits} fits, the kinds taking turns"
    )
    medians = {
        kind: [statistics.median(t[i] for t in times[kind]) for i in range(3)] for kind in kinds
    }
    base_wall, base_cpu, _ = medians[BASELINE]
    width = max(map(len, kinds))
    print(
        f"  {'':<{width}}  {'fit, wall':>10} {'overhead':>9}  {'fit, CPU':>10} {'overhead':>9}"
        f"  {'in callback':>11} {'of the fit':>10}"
    )
    for kind in kinds:
        wall, cpu, in_callback = medians[kind]
        line = f"  {kind:<{width}}  {wall * 1000:7.1f} ms"
        if kind == BASELINE:
            line += f" {'':>9}  {cpu * 1000:7.1f} ms"
        else:
            line += (
                f" {_percent(wall - base_wall, base_wall)}  {cpu * 1000:7.1f} ms"
                f" {_percent(cpu - base_cpu, base_cpu)}  {in_callback * 1000:8.2f} ms"
                f" {_percent(in_callback, base_wall)}"
            )
        print(line)
    print(
        "overhead: against the fit without callback (wall clock, and CPU time of all threads,"
        " the\nbackground writer included); in callback: time the training thread spent in the"
        " callback's hooks\n(runcard.init and finish included for the run it starts), which"
        " other load on the machine barely\ndisturbs, and its share of the fit without callback."
    )
    return 0


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:+8.2f}%"


if __name__ == "__main__":
    sys.exit(main())
