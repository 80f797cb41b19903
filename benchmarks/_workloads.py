"""The child side of the benchmarks: one workload for one tool, in a fresh process.

The harness runs this file's source with `python -c SOURCE TOOL WORKLOAD [ARGS...]` in an empty
working directory, with the tool's store pointed at a temp dir through the environment
($RUNCARD_DIR, $WANDB_DIR, $MLFLOW_TRACKING_URI, $TRACKIO_DIR; $BENCH_DIR for every tool). It
prints one line `BENCH_RESULT {json}`: `value` in the row's unit, plus what the parent needs to
check the data (`path` of the run). Nothing but `sys` and `time` is imported before the timed
part, and the tracker is imported before the clock starts unless the import itself is timed.

Adding a workload: write `<workload>_<tool>()` functions returning a dict with `value`; a tool
without such a function cannot run that workload (the harness reports the peer as skipped).
"""

from __future__ import annotations

import sys
import time
from typing import Any

PROJECT = "bench"


def config20() -> dict[str, Any]:
    """The 20-key config: ints, floats, strings, bools, lists and one nested dict."""
    return {
        "lr": 0.0003,
        "batch_size": 64,
        "epochs": 10,
        "optimizer": "adamw",
        "betas": [0.9, 0.999],
        "weight_decay": 0.01,
        "warmup_steps": 500,
        "dropout": 0.1,
        "seed": 1234,
        "dataset": "cifar10",
        "augment": ["crop", "flip"],
        "layers": [64, 128, 256],
        "momentum": 0.9,
        "scheduler": "cosine",
        "grad_clip": 1.0,
        "precision": "bf16",
        "label_smoothing": 0.0,
        "eval_every": 1000,
        "shuffle": True,
        "model": {"name": "resnet", "depth": 18, "width": 1.5, "pretrained": False},
    }


def _ms(t0: float, t1: float) -> float:
    return (t1 - t0) * 1e3


# -- import --------------------------------------------------------------------------------------
def import_any(tool: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    __import__(tool)  # every tool's name is its top-level module
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1)}


# -- init + finish with the 20-key config ----------------------------------------------------------
def init_finish_runcard() -> dict[str, Any]:
    import runcard

    cfg = config20()
    t0 = time.perf_counter()
    run = runcard.init(project=PROJECT, config=cfg)
    run.finish()
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1), "path": run.path}


def init_finish_wandb() -> dict[str, Any]:
    import wandb

    cfg = config20()
    t0 = time.perf_counter()
    run = wandb.init(project=PROJECT, config=cfg)
    run.finish()
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1)}


def init_finish_mlflow() -> dict[str, Any]:
    import mlflow  # tracking URI from $MLFLOW_TRACKING_URI

    cfg = config20()
    t0 = time.perf_counter()
    mlflow.set_experiment(PROJECT)
    with mlflow.start_run():
        mlflow.log_params(cfg)
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1)}


def init_finish_trackio() -> dict[str, Any]:
    import trackio  # store under $TRACKIO_DIR

    cfg = config20()
    t0 = time.perf_counter()
    trackio.init(project=PROJECT, config=cfg, embed=False, auto_log_cpu=False, auto_log_gpu=False)
    trackio.finish()
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1)}


def _tbx_logdir() -> str:
    import os

    return os.path.join(os.environ["BENCH_DIR"], "tbx", PROJECT, f"run-{time.time_ns()}")


def init_finish_tensorboardX() -> dict[str, Any]:
    from tensorboardX import SummaryWriter

    cfg = config20()
    logdir = _tbx_logdir()
    t0 = time.perf_counter()
    writer = SummaryWriter(logdir=logdir)
    for key, value in cfg.items():  # tensorboardX has no config: one text entry per key
        writer.add_text(f"config/{key}", repr(value))
    writer.close()
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1)}


# -- config updates ------------------------------------------------------------------------------
# N updates: the first half add keys k0..k{N/2-1} by item assignment, the second half change each
# of them to i + N/2 with update(..., allow_val_change=True). The time covers the updates and
# finish(); the value is µs per update.


def config_updates_runcard(n: str = "1000") -> dict[str, Any]:
    import runcard

    count = int(n)
    half = count // 2
    run = runcard.init(project=PROJECT, config=config20())
    t0 = time.perf_counter()
    for i in range(half):
        run.config[f"k{i}"] = i
    for i in range(count - half):
        run.config.update({f"k{i}": i + half}, allow_val_change=True)
    run.finish()
    t1 = time.perf_counter()
    return {"value": (t1 - t0) * 1e6 / count, "path": run.path}


def config_updates_wandb(n: str = "1000") -> dict[str, Any]:
    import wandb

    count = int(n)
    half = count // 2
    run = wandb.init(project=PROJECT, config=config20())
    t0 = time.perf_counter()
    for i in range(half):
        run.config[f"k{i}"] = i
    for i in range(count - half):
        run.config.update({f"k{i}": i + half}, allow_val_change=True)
    run.finish()
    t1 = time.perf_counter()
    return {"value": (t1 - t0) * 1e6 / count}


def config_updates_mlflow(n: str = "1000") -> dict[str, Any]:
    import mlflow

    count = int(n)
    mlflow.set_experiment(PROJECT)
    run = mlflow.start_run()
    mlflow.log_params(config20())
    t0 = time.perf_counter()
    for i in range(count):  # MLflow params cannot change: every update is a new key
        mlflow.log_param(f"k{i}", i)
    mlflow.end_run()
    t1 = time.perf_counter()
    return {"value": (t1 - t0) * 1e6 / count, "run_id": run.info.run_id}


def config_updates_trackio(n: str = "1000") -> dict[str, Any]:
    import trackio

    count = int(n)
    half = count // 2
    run = trackio.init(
        project=PROJECT, config=config20(), embed=False, auto_log_cpu=False, auto_log_gpu=False
    )
    t0 = time.perf_counter()
    for i in range(half):
        run.config[f"k{i}"] = i
    for i in range(count - half):
        run.config.update({f"k{i}": i + half})
    trackio.finish()
    t1 = time.perf_counter()
    return {"value": (t1 - t0) * 1e6 / count}


def config_updates_tensorboardX(n: str = "1000") -> dict[str, Any]:
    from tensorboardX import SummaryWriter

    count = int(n)
    half = count // 2
    writer = SummaryWriter(logdir=_tbx_logdir())
    for key, value in config20().items():
        writer.add_text(f"config/{key}", repr(value))
    t0 = time.perf_counter()
    for i in range(half):
        writer.add_text(f"config/k{i}", repr(i))
    for i in range(count - half):
        writer.add_text(f"config/k{i}", repr(i + half))
    writer.close()
    t1 = time.perf_counter()
    return {"value": (t1 - t0) * 1e6 / count}


def main(argv: list[str]) -> int:
    tool, workload, *args = argv
    if workload == "import":
        result = import_any(tool)
    else:
        fn = globals().get(f"{workload}_{tool}")
        if fn is None:
            print(f"no workload {workload!r} for {tool}", file=sys.stderr)
            return 3
        result = fn(*args)
    import json

    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
