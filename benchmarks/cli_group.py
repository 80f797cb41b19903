"""`python benchmarks/cli_group.py [--dir DIR] [--runs N] [--reps R]`: group 10,000 runs with
20 config keys each by one config key, with mean/std/count of a summary metric, through
`runcard runs --group-by` (SPEC §9: <= 100 ms, store exists, import excluded).

The store is built once through runcard.init / finish (a few minutes) and cached in DIR
(default: a folder in the temp dir), so reruns only time the reads. Prints, as medians of R:
  in-process   runcard._cli.main([...]) with the store open and runcard imported
               (and the two halves of it: the public Api read, and the grouping)
  subprocess   `python -m runcard runs ...` end to end (interpreter start and import included)
and MLflow's `search_runs` + pandas groupby over the same runs when mlflow is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks._workloads import config20 as base_config20

PROJECT = "cli-group"
LEARNING_RATES = (0.1, 0.03, 0.01, 0.003, 0.001)


def config20(i: int) -> dict[str, Any]:
    """The benchmarks' 20-key config, with the learning rate swept and run `i`'s seed."""
    return {**base_config20(), "lr": LEARNING_RATES[i % len(LEARNING_RATES)], "seed": i}


def build(directory: str, count: int) -> None:
    import runcard

    have = len(runcard.Api(dir=directory).runs(PROJECT))
    if have >= count:
        print(f"store: {have} runs cached in {directory}", file=sys.stderr)
        return
    rng = random.Random(have)
    start = time.perf_counter()
    for i in range(have, count):
        run = runcard.init(project=PROJECT, config=config20(i), dir=directory)
        run.summary["val_acc"] = rng.random()
        run.finish()
        if (i + 1) % 1000 == 0:
            rate = (i + 1 - have) / (time.perf_counter() - start)
            print(f"store: {i + 1}/{count} runs ({rate:.0f} runs/s)", file=sys.stderr)


def command(directory: str) -> list[str]:
    return [
        "runs",
        PROJECT,
        "--dir",
        directory,
        "--group-by",
        "lr",
        "--columns",
        "val_acc",
        "--agg",
        "mean,std,count",
        "--format",
        "json",
    ]


def in_process(directory: str, reps: int) -> dict[str, list[float]]:
    import json

    import runcard
    from runcard import _cli
    from runcard._cli._group import group_runs
    from runcard._cli._runs import fetch

    times: dict[str, list[float]] = {"cli": [], "api": [], "group": []}
    api = runcard.Api(dir=directory)
    for _ in range(reps):
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out):
            code = _cli.main(command(directory))
        times["cli"].append(time.perf_counter() - t0)
        groups = json.loads(out.getvalue())
        assert code == 0 and len(groups) == len(LEARNING_RATES), out.getvalue()[:200]
        gc.disable()  # as main() does for the whole command
        t0 = time.perf_counter()
        runs = fetch(api, PROJECT, None)
        t1 = time.perf_counter()
        group_runs(runs, ["config.lr"], ["summary.val_acc"])
        t2 = time.perf_counter()
        del runs
        gc.enable()
        times["api"].append(t1 - t0)
        times["group"].append(t2 - t1)
    return times


def as_subprocess(directory: str, reps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"cli": [], "python": []}
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        t1 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "runcard", *command(directory)], capture_output=True
        )
        t2 = time.perf_counter()
        assert done.returncode == 0, done.stderr
        times["python"].append(t1 - t0)
        times["cli"].append(t2 - t1)
    return times


def mlflow_side(directory: str, count: int, reps: int) -> str:
    """MLflow over the same runs (logged once into DIR/mlflow.db), when it is installed."""
    try:
        import mlflow
    except ImportError:
        return "MLflow: not installed, skipped"
    uri = f"sqlite:///{os.path.join(directory, 'mlflow.db')}"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.set_experiment(PROJECT)
    have = len(mlflow.search_runs([experiment.experiment_id], max_results=count))
    rng = random.Random(0)
    for i in range(have, count):
        with mlflow.start_run():
            mlflow.log_params({k: str(v) for k, v in config20(i).items()})
            mlflow.log_metric("val_acc", rng.random())
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        frame = mlflow.search_runs([experiment.experiment_id], max_results=count)
        frame.groupby("params.lr")["metrics.val_acc"].agg(["mean", "std", "count"])
        times.append(time.perf_counter() - t0)
    return f"MLflow search_runs + pandas groupby: {_ms(times)}"


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:.1f} ms (min {min(values) * 1e3:.1f} ms)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.path.join(tempfile.gettempdir(), "runcard-bench-cli-group")
    parser.add_argument("--dir", default=default, help=f"the cached store (default: {default})")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    build(args.dir, args.runs)
    local = in_process(args.dir, args.reps)
    child = as_subprocess(args.dir, args.reps)
    print(f"group {args.runs:,} runs (20 config keys) by config.lr, mean/std/count of val_acc")
    print(f"  in-process  runcard runs --group-by:  {_ms(local['cli'])}   target <= 100 ms")
    print(f"    of which  Api.runs (public read):   {_ms(local['api'])}")
    print(f"              grouping + aggregates:    {_ms(local['group'])}")
    print(f"  subprocess  python -m runcard runs:   {_ms(child['cli'])}")
    print(f"    of which  python -c pass:           {_ms(child['python'])}")
    print(f"  {mlflow_side(args.dir, args.runs, args.reps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
