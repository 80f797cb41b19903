"""The child side of the benchmarks: one workload for one tool, in a fresh process.

The harness runs this file's source with `python -c SOURCE TOOL WORKLOAD [ARGS...]` in an empty
working directory, with the tool's store pointed at a temp dir through the environment
($RUNCARD_DIR, $WANDB_DIR, $MLFLOW_TRACKING_URI, $TRACKIO_DIR; $BENCH_DIR for every tool). It
prints one line `BENCH_RESULT {json}`: `value` in the row's unit, plus what the parent needs to
check the data (`path` of the run). Nothing but `sys` and `time` is imported before the timed
part, and the tracker is imported before the clock starts unless the import itself is timed.

Adding a workload: write `<workload>_<tool>()` functions returning a dict with `value`; a tool
without such a function cannot run that workload (the harness reports the peer as skipped, with
the reason in UNSUPPORTED when there is one). A result may carry a `note` (a peer ran a smaller
count), which the table prints.

The log workloads build the 5 floats of call i inline, as `five_columns` does for the checks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

PROJECT = "bench"
KEYS5 = ("a", "b", "c", "d", "e")
SEED = 20240611
KILL_RATE = 300  # log() calls per second in the SIGKILL workload
HEARTBEAT_ENV = "RUNCARD_HEARTBEAT_SECONDS"

# MLflow logs ~285 calls/s here (2.8 ms each): its loops stop at these counts (and say so)
MLFLOW_MAX_CALLS = 1_000
MLFLOW_MAX_RSS_CALLS = 5_000

_NO_READER = "{tool} has no local read API (it only writes {what})"
UNSUPPORTED = {
    ("read_history", "wandb"): _NO_READER.format(tool="wandb offline", what="a .wandb log"),
    ("read_metric", "wandb"): _NO_READER.format(tool="wandb offline", what="a .wandb log"),
    ("read_history", "tensorboardX"): _NO_READER.format(tool="tensorboardX", what="event files"),
    ("read_metric", "tensorboardX"): _NO_READER.format(tool="tensorboardX", what="event files"),
    ("read_metric", "mlflow"): "MLflow writes ~12k values/s (log_batch) and reads ~30k points/s "
    "here: over a minute per run of this size; its history row reads 250k values",
    ("log_cost_step", "mlflow"): "its log() row passes step= already",
    ("log_cost_step", "tensorboardX"): "its log() row passes a step already",
    ("log_rate_step", "mlflow"): "its log() row passes step= already",
    ("log_rate_step", "tensorboardX"): "its log() row passes a step already",
}


def unsupported(tool: str, workload: str) -> str | None:
    """Why `tool` cannot run `workload`, or None when it can."""
    if workload == "import" or f"{workload}_{tool}" in globals():
        return None
    return UNSUPPORTED.get((workload, tool), f"no workload {workload!r} for {tool}")


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


def five_columns(count: int) -> dict[str, list[float]]:
    """What the log workloads log: key -> its value in calls 0..count-1."""
    xs = [float(i) for i in range(count)]
    return {
        "a": xs,
        "b": [x + 0.5 for x in xs],
        "c": [x * 0.25 for x in xs],
        "d": [-x for x in xs],
        "e": [1.0 / (i + 1) for i in range(count)],
    }


def history_rows(rows: int, keys: int, seed: int = SEED) -> Iterator[dict[str, float]]:
    """The rows the read and bytes workloads store: full-precision floats in [0, 1), which no
    encoding can squeeze below 8 bytes (unlike the log workloads' round numbers)."""
    import random

    rng = random.Random(seed)
    names = [f"k{j}" for j in range(keys)]
    for _ in range(rows):
        yield {name: rng.random() for name in names}


def history_digest(rows: Iterator[tuple[Any, ...]]) -> str:
    """One hash of (step, value, ...) tuples, to compare what was read with what was logged."""
    import hashlib

    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _ms(t0: float, t1: float) -> float:
    return (t1 - t0) * 1e3


def _rss_mib() -> float:
    """This process's peak RSS. On Linux from VmHWM: ru_maxrss also counts the parent's RSS at
    fork (exec records the forked address space's high-water mark), which made every child read
    at least the harness's own 76 MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes there, KiB here


def _setup() -> dict[str, Any]:
    """What the setup workload of this row printed (the harness passes it on)."""
    import json
    import os

    info: dict[str, Any] = json.loads(os.environ["BENCH_SETUP"])
    return info


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


# -- runs created back to back in one process as the store grows ---------------------------------
PEER_MAX_RUNS = 500  # MLflow makes ~110 runs/s here, trackio ~40: they stop at this count


def _runs_back_to_back(make_run: Callable[[dict[str, Any], int], None], n: str) -> dict[str, Any]:
    """Runs/s over all runs, and over the first and last tenth: flat means last ~ first."""
    count = int(n)
    cfg = config20()
    block = max(count // 10, 1)
    stamps = [time.perf_counter()]
    for i in range(count):
        make_run(cfg, i)
        if (i + 1) % block == 0:
            stamps.append(time.perf_counter())
    first = block / (stamps[1] - stamps[0])
    last = block / (stamps[-1] - stamps[-2])
    return {"value": count / (stamps[-1] - stamps[0]), "first": first, "last": last, "runs": count}


def create_runs_runcard(n: str) -> dict[str, Any]:
    import runcard

    def make_run(cfg: dict[str, Any], i: int) -> None:
        run = runcard.init(project=PROJECT, config=cfg)
        run.summary["acc"] = i / 10_000
        run.finish()

    return _runs_back_to_back(make_run, n)


def _peer_runs(n: str) -> tuple[str, dict[str, Any]]:
    count = int(n)
    if count <= PEER_MAX_RUNS:
        return n, {}
    return str(PEER_MAX_RUNS), {"note": f"{PEER_MAX_RUNS:,} runs instead of {count:,}"}


def create_runs_mlflow(n: str) -> dict[str, Any]:
    import mlflow

    mlflow.set_experiment(PROJECT)

    def make_run(cfg: dict[str, Any], i: int) -> None:
        with mlflow.start_run():
            mlflow.log_params(cfg)
            mlflow.log_metric("acc", i / 10_000)

    count, note = _peer_runs(n)
    return {**_runs_back_to_back(make_run, count), **note}


def create_runs_trackio(n: str) -> dict[str, Any]:
    import trackio

    def make_run(cfg: dict[str, Any], i: int) -> None:
        trackio.init(
            project=PROJECT, config=cfg, embed=False, auto_log_cpu=False, auto_log_gpu=False
        )
        trackio.log({"acc": i / 10_000})
        trackio.finish()

    count, note = _peer_runs(n)
    return {**_runs_back_to_back(make_run, count), **note}


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


# -- log(): 5 floats per call --------------------------------------------------------------------
# Each tool's log call for one dict of 5 floats; the loops below build the dict inline.
LogFn = Callable[[dict[str, float]], Any]


def _log5(log: LogFn, count: int) -> None:
    for i in range(count):
        x = float(i)
        log({"a": x, "b": x + 0.5, "c": x * 0.25, "d": -x, "e": 1.0 / (i + 1)})


def _log5_stepped(log: Callable[..., Any], count: int) -> None:
    for i in range(count):
        x = float(i)
        log({"a": x, "b": x + 0.5, "c": x * 0.25, "d": -x, "e": 1.0 / (i + 1)}, step=i)


def _log5_costs(log: Callable[..., Any], count: int, stepped: bool = False) -> dict[str, Any]:
    """Each call timed alone; the median cost of an empty timed pair is subtracted.
    `stepped`: each call is `log(row, step=i)`."""
    ns = time.perf_counter_ns
    empty = []
    for _ in range(count):
        t0 = ns()
        t1 = ns()
        empty.append(t1 - t0)
    costs = []
    for i in range(count):
        x = float(i)
        row = {"a": x, "b": x + 0.5, "c": x * 0.25, "d": -x, "e": 1.0 / (i + 1)}
        if stepped:
            t0 = ns()
            log(row, step=i)
            t1 = ns()
        else:
            t0 = ns()
            log(row)
            t1 = ns()
        costs.append(t1 - t0)
    costs.sort()
    empty.sort()
    base = empty[count // 2]
    return {
        "value": (costs[count // 2] - base) / 1e3,
        "p99_us": (costs[int(count * 0.99)] - base) / 1e3,
        "max_ms": costs[-1] / 1e6,
    }


def _wandb_log() -> tuple[Any, LogFn]:
    import wandb

    run = wandb.init(project=PROJECT)
    return run, run.log


def _mlflow_log() -> LogFn:
    import itertools

    import mlflow

    mlflow.set_experiment(PROJECT)
    mlflow.start_run()
    steps = itertools.count()  # wandb, trackio and runcard number the calls themselves
    return lambda row: mlflow.log_metrics(row, step=next(steps))


def _trackio_log() -> LogFn:
    import trackio

    trackio.init(project=PROJECT, embed=False, auto_log_cpu=False, auto_log_gpu=False)
    return trackio.log


def _tbx_log() -> tuple[Any, LogFn]:
    import itertools

    from tensorboardX import SummaryWriter

    writer = SummaryWriter(logdir=_tbx_logdir())
    steps = itertools.count()
    add = writer.add_scalar

    def log(row: dict[str, float]) -> None:  # no dict call: one add_scalar per key
        step = next(steps)
        for key, value in row.items():
            add(key, value, step)

    return writer, log


def _mlflow_count(count: int, cap: int) -> tuple[int, dict[str, Any]]:
    if count <= cap:
        return count, {}
    return cap, {"note": f"{cap:,} calls instead of {count:,} (it logs ~0.3k calls/s)"}


# calls/s, end to end: the loop and finish()
def log_rate_runcard(n: str) -> dict[str, Any]:
    import runcard

    count = int(n)
    run = runcard.init(project=PROJECT)
    t0 = time.perf_counter()
    _log5(run.log, count)
    run.finish()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0), "path": run.path}


def log_rate_wandb(n: str) -> dict[str, Any]:
    count = int(n)
    run, log = _wandb_log()
    t0 = time.perf_counter()
    _log5(log, count)
    run.finish()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0)}


def log_rate_mlflow(n: str) -> dict[str, Any]:
    import mlflow

    count, extra = _mlflow_count(int(n), MLFLOW_MAX_CALLS)
    log = _mlflow_log()
    t0 = time.perf_counter()
    _log5(log, count)
    mlflow.end_run()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0), **extra}


def log_rate_trackio(n: str) -> dict[str, Any]:
    import trackio

    count = int(n)
    log = _trackio_log()
    t0 = time.perf_counter()
    _log5(log, count)
    trackio.finish()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0)}


def log_rate_tensorboardX(n: str) -> dict[str, Any]:
    count = int(n)
    writer, log = _tbx_log()
    t0 = time.perf_counter()
    _log5(log, count)
    writer.close()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0)}


# calls/s of log(d, step=i), end to end: the loop and finish()
def log_rate_step_runcard(n: str) -> dict[str, Any]:
    import runcard

    count = int(n)
    run = runcard.init(project=PROJECT)
    t0 = time.perf_counter()
    _log5_stepped(run.log, count)
    run.finish()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0), "path": run.path}


def log_rate_step_wandb(n: str) -> dict[str, Any]:
    count = int(n)
    run, log = _wandb_log()
    t0 = time.perf_counter()
    _log5_stepped(log, count)
    run.finish()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0)}


def log_rate_step_trackio(n: str) -> dict[str, Any]:
    import trackio

    count = int(n)
    log = _trackio_log()
    t0 = time.perf_counter()
    _log5_stepped(log, count)
    trackio.finish()
    t1 = time.perf_counter()
    return {"value": count / (t1 - t0)}


# µs on the calling thread per call (median; p99 and the longest stall go in the result)
def log_cost_runcard(n: str) -> dict[str, Any]:
    import runcard

    run = runcard.init(project=PROJECT)
    result = _log5_costs(run.log, int(n))
    run.finish()
    return {**result, "path": run.path}


def log_cost_step_runcard(n: str) -> dict[str, Any]:
    import runcard

    run = runcard.init(project=PROJECT)
    result = _log5_costs(run.log, int(n), stepped=True)
    run.finish()
    return {**result, "path": run.path}


def log_cost_step_wandb(n: str) -> dict[str, Any]:
    run, log = _wandb_log()
    result = _log5_costs(log, int(n), stepped=True)
    run.finish()
    return result


def log_cost_step_trackio(n: str) -> dict[str, Any]:
    import trackio

    result = _log5_costs(_trackio_log(), int(n), stepped=True)
    trackio.finish()
    return result


def log_cost_wandb(n: str) -> dict[str, Any]:
    run, log = _wandb_log()
    result = _log5_costs(log, int(n))
    run.finish()
    return result


def log_cost_mlflow(n: str) -> dict[str, Any]:
    import mlflow

    count, extra = _mlflow_count(int(n), MLFLOW_MAX_CALLS)
    result = _log5_costs(_mlflow_log(), count)
    mlflow.end_run()
    return {**result, **extra}


def log_cost_trackio(n: str) -> dict[str, Any]:
    import trackio

    result = _log5_costs(_trackio_log(), int(n))
    trackio.finish()
    return result


def log_cost_tensorboardX(n: str) -> dict[str, Any]:
    writer, log = _tbx_log()
    result = _log5_costs(log, int(n))
    writer.close()
    return result


# peak RSS (MiB) of the logging process, read after finish
def log_rss_runcard(n: str) -> dict[str, Any]:
    import runcard

    run = runcard.init(project=PROJECT)
    _log5(run.log, int(n))
    run.finish()
    return {"value": _rss_mib(), "path": run.path}


def log_rss_disk_full_runcard(n: str) -> dict[str, Any]:
    """log() calls while no file of the store can grow (RLIMIT_FSIZE: writes fail as on a full
    disk): the rows kept waiting in memory are bounded."""
    import resource
    import signal
    import warnings

    import runcard

    warnings.simplefilter("ignore")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    run = runcard.init(project=PROJECT)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, hard))
    _log5(run.log, int(n))
    try:
        run.finish()
        reported = ""
    except runcard.StoreError as exc:
        reported = str(exc)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    return {"value": _rss_mib(), "path": run.path, "reported": reported}


def log_rss_wandb(n: str) -> dict[str, Any]:
    run, log = _wandb_log()
    _log5(log, int(n))
    run.finish()
    return {"value": _rss_mib(), "note": "the wandb-core service process is not counted"}


def log_rss_mlflow(n: str) -> dict[str, Any]:
    import mlflow

    count, extra = _mlflow_count(int(n), MLFLOW_MAX_RSS_CALLS)
    _log5(_mlflow_log(), count)
    mlflow.end_run()
    return {"value": _rss_mib(), **extra}


def log_rss_trackio(n: str) -> dict[str, Any]:
    import trackio

    _log5(_trackio_log(), int(n))
    trackio.finish()
    return {"value": _rss_mib()}


def log_rss_tensorboardX(n: str) -> dict[str, Any]:
    writer, log = _tbx_log()
    _log5(log, int(n))
    writer.close()
    return {"value": _rss_mib()}


# -- history: write (untimed setup; the bytes row) and read ---------------------------------------
def write_history_runcard(rows: str, keys: str) -> dict[str, Any]:
    import runcard

    run = runcard.init(project=PROJECT)
    for row in history_rows(int(rows), int(keys)):
        run.log(row)
    run.finish()
    return {"path": run.path, "values": int(rows) * int(keys)}


def write_history_wandb(rows: str, keys: str) -> dict[str, Any]:
    run, log = _wandb_log()
    for row in history_rows(int(rows), int(keys)):
        log(row)
    run.finish()
    return {"values": int(rows) * int(keys)}


def write_history_mlflow(rows: str, keys: str) -> dict[str, Any]:
    import mlflow
    from mlflow.entities import Metric

    mlflow.set_experiment(PROJECT)
    run_id = mlflow.start_run().info.run_id
    client = mlflow.MlflowClient()
    batch: list[Any] = []
    for step, row in enumerate(history_rows(int(rows), int(keys))):
        now = int(time.time() * 1000)
        batch.extend(Metric(key, value, now, step) for key, value in row.items())
        if len(batch) >= 1000:  # MLflow's limit per batch; one log_metrics call is 2.8 ms
            client.log_batch(run_id, metrics=batch)
            batch = []
    if batch:
        client.log_batch(run_id, metrics=batch)
    mlflow.end_run()
    return {"run_id": run_id, "values": int(rows) * int(keys)}


def write_history_trackio(rows: str, keys: str) -> dict[str, Any]:
    import trackio

    run = trackio.init(project=PROJECT, embed=False, auto_log_cpu=False, auto_log_gpu=False)
    for row in history_rows(int(rows), int(keys)):
        trackio.log(row)
    trackio.finish()
    return {"name": run.name, "values": int(rows) * int(keys)}


def write_history_tensorboardX(rows: str, keys: str) -> dict[str, Any]:
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(logdir=_tbx_logdir())
    for step, row in enumerate(history_rows(int(rows), int(keys))):
        for key, value in row.items():
            writer.add_scalar(key, value, step)
    writer.close()
    return {"values": int(rows) * int(keys)}


# the whole history of the setup's run (ms); runcard's result carries a digest to check
def read_history_runcard() -> dict[str, Any]:
    import runcard

    path = _setup()["path"]
    t0 = time.perf_counter()
    rows = runcard.Api().run(path).history(pandas=False)
    t1 = time.perf_counter()
    keys = sorted({k for row in rows[:1] for k in row if not k.startswith("_")})
    check = history_digest((r.get("_step"), *(r.get(k) for k in keys)) for r in rows)
    return {"value": _ms(t0, t1), "rows": len(rows), "keys": keys, "digest": check, "path": path}


def read_history_mlflow() -> dict[str, Any]:
    import mlflow

    run_id = _setup()["run_id"]
    client = mlflow.MlflowClient()
    t0 = time.perf_counter()
    keys = list(client.get_run(run_id).data.metrics)
    values = sum(len(client.get_metric_history(run_id, key)) for key in keys)
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1), "values": values}


def read_history_trackio() -> dict[str, Any]:
    from trackio.sqlite_storage import SQLiteStorage

    name = _setup()["name"]
    t0 = time.perf_counter()
    rows = SQLiteStorage.get_logs(PROJECT, name)
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1), "rows": len(rows)}


# one key of the setup's run (ms)
def read_metric_runcard(key: str) -> dict[str, Any]:
    import runcard

    path = _setup()["path"]
    t0 = time.perf_counter()
    steps, values = runcard.Api().run(path).metric(key)
    t1 = time.perf_counter()
    return {
        "value": _ms(t0, t1),
        "rows": len(values),
        "digest": history_digest(zip(steps, values, strict=True)),
        "path": path,
    }


def read_metric_trackio(key: str) -> dict[str, Any]:
    from trackio.sqlite_storage import SQLiteStorage

    name = _setup()["name"]
    t0 = time.perf_counter()
    points = SQLiteStorage.get_metric_values(PROJECT, name, key)
    t1 = time.perf_counter()
    return {"value": _ms(t0, t1), "rows": len(points)}


# -- SIGKILL: log ~KILL_RATE calls/s until killed; a second child reads what was kept -------------
def _log_until_killed(log: LogFn, ready: dict[str, Any], rate: int) -> None:
    """Print READY (with what the reader needs), then log {i, t} forever at `rate` calls/s."""
    import json

    ready["t0"] = time.time()
    print("READY " + json.dumps(ready), flush=True)
    period = 1.0 / rate
    due = time.perf_counter()
    i = 0
    while True:
        log({"i": i, "t": time.time()})
        i += 1
        due += period
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def kill_log_runcard(rate: str) -> dict[str, Any]:
    import runcard

    run = runcard.init(project=PROJECT)
    _log_until_killed(run.log, {"path": run.path}, int(rate))
    return {}


KILL_STEP_SLOTS = 1 << 17  # the times of the points a stepped SIGKILL child logged, by step


def kill_log_step_runcard(rate: str) -> dict[str, Any]:
    """`log({i, t}, step=i)` at `rate` calls/s until killed. After each call the point's time
    goes to slot i of $BENCH_DIR/logged.bin (a shared file mapping: kept through SIGKILL), so
    the parent knows what was logged and when, stored or not."""
    import json
    import mmap
    import os

    import runcard

    run = runcard.init(project=PROJECT)
    with open(os.path.join(os.environ["BENCH_DIR"], "logged.bin"), "w+b") as file:
        file.truncate(8 * KILL_STEP_SLOTS)
        logged = memoryview(mmap.mmap(file.fileno(), 0)).cast("d")
    log = run.log
    t0 = time.time()
    print("READY " + json.dumps({"path": run.path, "t0": t0}), flush=True)
    period = 1.0 / int(rate)
    due = time.perf_counter()
    for i in range(KILL_STEP_SLOTS):
        t = time.time()
        log({"i": i, "t": t}, step=i)
        logged[i] = t
        due += period
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    return {}


def kill_log_wandb(rate: str) -> dict[str, Any]:
    _run, log = _wandb_log()
    _log_until_killed(log, {}, int(rate))
    return {}


def kill_log_mlflow(rate: str) -> dict[str, Any]:
    import mlflow

    log = _mlflow_log()
    run = mlflow.active_run()
    assert run is not None
    _log_until_killed(log, {"run_id": run.info.run_id}, int(rate))
    return {}


def kill_log_trackio(rate: str) -> dict[str, Any]:
    import trackio

    run = trackio.init(project=PROJECT, embed=False, auto_log_cpu=False, auto_log_gpu=False)
    _log_until_killed(trackio.log, {"name": run.name}, int(rate))
    return {}


def kill_log_tensorboardX(rate: str) -> dict[str, Any]:
    _writer, log = _tbx_log()  # the reader takes wall_time: float32 cannot hold t
    _log_until_killed(log, {}, int(rate))
    return {}


# the peers' readers: `last` is the latest t stored (None: nothing), `rows` how many rows
def kill_read_wandb() -> dict[str, Any]:
    import glob
    import json
    import os

    from wandb.proto import wandb_internal_pb2

    times = []
    pattern = os.path.join(os.environ["BENCH_DIR"], "wandb", "offline-run-*", "*.wandb")
    for path in glob.glob(pattern):
        with open(path, "rb") as f:
            data = f.read()
        for raw in _leveldb_records(data):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(raw)
            if record.WhichOneof("record_type") == "history":
                for item in record.history.item:  # the key in one field or the other
                    if (item.key or ".".join(item.nested_key)) == "t":
                        times.append(json.loads(item.value_json))
    return {"last": max(times, default=None), "rows": len(times)}


def _leveldb_records(data: bytes) -> Iterator[bytes]:
    """The records of a .wandb file: a 7-byte file header, then LevelDB log blocks of 32 KiB
    (records of 7-byte header + data, split FIRST/MIDDLE/LAST across blocks). A torn tail ends
    the scan."""
    import struct

    block, header = 32768, 7
    pos, pending = header, b""
    while pos + header <= len(data):
        room = block - pos % block
        if room < header:  # the block's tail is padding
            pos += room
            continue
        _crc, length, kind = struct.unpack_from("<IHB", data, pos)
        chunk = data[pos + header : pos + header + length]
        if kind == 0 or len(chunk) < length:
            return
        pos += header + length
        if kind == 1:  # FULL
            yield chunk
        elif kind == 2:  # FIRST
            pending = chunk
        elif kind == 3:  # MIDDLE
            pending += chunk
        elif kind == 4:  # LAST
            yield pending + chunk


def kill_read_mlflow() -> dict[str, Any]:
    import mlflow

    points = mlflow.MlflowClient().get_metric_history(_setup()["run_id"], "t")
    return {"last": max((p.value for p in points), default=None), "rows": len(points)}


def kill_read_trackio() -> dict[str, Any]:
    from trackio.sqlite_storage import SQLiteStorage

    rows = SQLiteStorage.get_logs(PROJECT, _setup()["name"])
    return {"last": max((r["t"] for r in rows if "t" in r), default=None), "rows": len(rows)}


def kill_read_tensorboardX() -> dict[str, Any]:
    import glob
    import os
    import struct

    from tensorboardX.proto.event_pb2 import Event

    times = []
    pattern = os.path.join(os.environ["BENCH_DIR"], "tbx", "**", "events.*")
    for path in glob.glob(pattern, recursive=True):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 12 <= len(data):  # TFRecord: u64 length, u32 crc, data, u32 crc
            (length,) = struct.unpack_from("<Q", data, pos)
            body = data[pos + 12 : pos + 12 + length]
            if len(body) < length:
                break
            pos += 12 + length + 4
            event = Event()
            event.ParseFromString(body)
            if any(v.tag == "i" for v in event.summary.value):
                times.append(event.wall_time)
    return {"last": max(times, default=None), "rows": len(times)}


def main(argv: list[str]) -> int:
    tool, workload, *args = argv
    if workload == "import":
        result = import_any(tool)
    else:
        fn = globals().get(f"{workload}_{tool}")
        if fn is None:
            print(unsupported(tool, workload), file=sys.stderr)
            return 3
        result = fn(*args)
    import json

    print("BENCH_RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
