"""The `optuna` row: what `runcard_optuna.RuncardCallback` adds to an Optuna study of fast
trials (`python -m benchmarks --only optuna`, in an env with the `optuna` extra).

Each repetition runs the same study (TPE sampler, same seed, each trial reporting 5
intermediate values and busy for TRIAL_S) in two fresh processes, without and with the
callback, taking turns; the figure is the median of (with - without) / without, in percent.
The child also times each call of the callback on the optimizing thread: on a busy machine
the wall-time difference is mostly noise, the time in the callback is what it adds (noted: its
share of the study, its average and median per trial).
The child's runs are read back and checked: one per trial, the right state and values.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._harness import CHILD_TIMEOUT_S, ChildError, Context, Figure, Sample, row

TRIALS = (20, 8)  # (full run, --quick)
TRIAL_S = 0.5  # a fast trial: half a second of work (a tiny model's few epochs)
SEED = 7


def _study(with_callback: bool, trials: int, store: str) -> dict[str, Any]:
    """The child: one study; its wall time, the time spent in the callback, the trials."""
    import optuna

    from runcard_optuna import RuncardCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.trial.Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        end = time.perf_counter() + TRIAL_S
        for step in range(5):
            trial.report((x - 2) ** 2 + lr + 5 - step, step)
        while time.perf_counter() < end:
            pass
        return (x - 2) ** 2 + lr

    calls: list[float] = []
    callbacks = []
    if with_callback:
        callback = RuncardCallback("loss", project="bench-optuna", dir=store)

        def timed(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            start = time.perf_counter()
            callback(study, trial)
            calls.append(time.perf_counter() - start)

        callbacks.append(timed)
    study = optuna.create_study(study_name="bench", sampler=optuna.samplers.TPESampler(seed=SEED))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, callbacks=callbacks)
    wall = time.perf_counter() - start
    return {
        "wall": wall,
        "in_callback": sum(calls),
        "median_call": statistics.median(calls) if calls else 0.0,
        "values": {t.number: t.value for t in study.trials},
    }


def _child(ctx: Context, with_callback: bool, trials: int, store: str) -> dict[str, Any]:
    code = (
        "import json, sys; from benchmarks.optuna_overhead import _study; "
        f"print('BENCH_RESULT ' + json.dumps(_study({with_callback}, {trials}, sys.argv[1])))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = ctx.child_env("runcard", ctx.new_store("optuna"), None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, store],
            cwd=ctx.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildError(f"optuna study timed out after {CHILD_TIMEOUT_S} s") from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
    if proc.returncode or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ChildError(f"optuna study exit {proc.returncode}: {tail[0]}")
    result: dict[str, Any] = json.loads(lines[-1].split(" ", 1)[1])
    return result


def _check(store: str, values: dict[str, Any], problems: list[str]) -> None:
    import runcard

    runs = runcard.Api(dir=store).runs("bench-optuna")
    got = {str(run.config["optuna"]["trial"]): run for run in runs}
    if sorted(got) != sorted(values):
        problems.append(f"{len(runs)} runs for {len(values)} trials")
        return
    for number, value in values.items():
        run = got[number]
        if run.state != "finished" or run.summary.get("loss") != value:
            problems.append(f"trial {number}: run {run.path} {run.state}, loss {run.summary}")
            return


@row("optuna", "Optuna callback overhead, fast trials", unit="%", target=1.0)
def optuna_overhead(ctx: Context, fig: Figure) -> None:
    try:
        import optuna  # noqa: F401
    except ImportError:
        ctx.skip(fig, "runcard", "optuna is not installed (the optuna extra)")
        return
    trials = TRIALS[1] if ctx.quick else TRIALS[0]
    fig.title = f"Optuna callback overhead, study of {trials} trials of {TRIAL_S:g} s"
    shares, per_trial, typical = [], [], []
    for _ in range(ctx.reps):
        store = tempfile.mkdtemp(dir=ctx.root)
        without = _child(ctx, False, trials, store)
        with_ = _child(ctx, True, trials, store)
        overhead = 100.0 * (with_["wall"] - without["wall"]) / without["wall"]
        fig.result("runcard").samples.append(Sample(overhead, with_, Path(store)))
        shares.append(100.0 * with_["in_callback"] / without["wall"])
        per_trial.append(1000.0 * with_["in_callback"] / trials)
        typical.append(1000.0 * with_["median_call"])
        if without["values"] != with_["values"]:
            fig.problems.append("the study chose other values with the callback (same seed)")
        _check(store, with_["values"], fig.problems)
    ctx.note(
        f"optuna: time in the callback {statistics.median(shares):.2f} % of the study, "
        f"{statistics.median(per_trial):.1f} ms a trial on average, {statistics.median(typical):.1f}"
        f" ms the median call (medians of {ctx.reps} studies; the average holds the store's "
        "creation and the disk's slow commits); the row's figure is the wall-time difference"
    )
