"""`python benchmarks/sweeps.py [--seeds N] [--runs N] [--agents N]` (also the row `sweeps` of
`python -m benchmarks`): what sweeps cost and find (issue 20).

  search   the median, over N seeds, of the best Branin value found after 30 runs, for
           `method: bayes` (Optuna's TPE) and `method: random`; bayes must be lower (the
           minimum is 0.397887)
  claim    the median and 95th percentile cost of claiming a suggestion
           (`Store.claim_sweep_run`, one transaction) with 8 local agent processes racing on
           one SQLite store, each running its claimed run (init, log, finish) in between;
           target <= 20 ms

Needs the `sweeps` extra (Optuna) for bayes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._harness import Context, Figure, num, row

BRANIN_MIN = 0.397887
SPACE = {
    "x1": {"distribution": "uniform", "min": -5.0, "max": 10.0},
    "x2": {"distribution": "uniform", "min": 0.0, "max": 15.0},
}
CLAIM_TARGET_MS = 20.0


def branin(x1: float, x2: float) -> float:
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def best_after(method: str, seed: int, runs: int, directory: str) -> float:
    import runcard

    spec = {
        "method": method,
        "seed": seed,
        "metric": {"name": "value", "goal": "minimize"},
        "parameters": SPACE,
    }
    sweep_id = runcard.sweep(spec, project=f"branin-{method}", dir=directory)
    found: list[float] = []

    def objective() -> None:
        run = runcard.init(dir=directory)
        value = branin(run.config["x1"], run.config["x2"])
        run.summary["value"] = value
        found.append(value)

    runcard.agent(sweep_id, function=objective, count=runs, dir=directory)
    return min(found)


def search(seeds: int, runs: int) -> dict[str, float]:
    medians = {}
    with tempfile.TemporaryDirectory(prefix="runcard-sweeps-") as directory:
        for method in ("random", "bayes"):
            bests = [best_after(method, seed, runs, directory) for seed in range(seeds)]
            medians[method] = statistics.median(bests)
    return medians


AGENT = """
import json, sys, time
import runcard
from runcard import _sweep, _sweep_state
from runcard._names import new_run_id
from runcard._store import open_store

directory, sweep_id = sys.argv[1], sys.argv[2]
store = open_store(directory)
times = []
while True:
    start = time.perf_counter()
    claim = store.claim_sweep_run(sweep_id, new_run_id(), "bench", _sweep.suggest)
    times.append(time.perf_counter() - start)
    if claim is None:
        break
    _sweep_state.offer(claim)
    run = runcard.init(dir=directory)
    run.log({"value": run.config["x1"]})
    run.finish()
print(json.dumps(times))
"""


def claim_costs(agents: int, runs_each: int) -> list[float]:
    """Each claim's cost in ms, from `agents` processes racing through one sweep."""
    import runcard

    with tempfile.TemporaryDirectory(prefix="runcard-sweeps-") as directory:
        spec = {"method": "random", "run_cap": agents * runs_each, "parameters": SPACE}
        sweep_id = runcard.sweep(spec, project="claims", dir=directory)
        children = [
            subprocess.Popen(
                [sys.executable, "-c", AGENT, directory, sweep_id], stdout=subprocess.PIPE
            )
            for _ in range(agents)
        ]
        costs: list[float] = []
        for child in children:
            out, _ = child.communicate(timeout=600)
            if child.returncode:
                raise RuntimeError(f"an agent exited with {child.returncode}")
            costs.extend(1000 * t for t in json.loads(out))
    return costs


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@row("sweeps", "claim a sweep suggestion, 8 local agents racing", unit="ms", target=20.0)
def sweeps_row(ctx: Context, fig: Figure) -> None:
    from benchmarks._harness import Sample

    seeds, runs_each = (3, 10) if ctx.quick else (10, 25)
    result = fig.result("runcard")
    costs: list[float] = []
    for _ in range(ctx.reps):  # a sample per repetition: its claims' median
        rep = claim_costs(8, runs_each)
        result.samples.append(Sample(statistics.median(rep), {}, ctx.root))
        costs.extend(rep)
    ctx.note(f"sweeps: claim p95 {num(percentile(costs, 0.95))} ms over {len(costs)} claims")
    try:
        medians = search(seeds, 30)
    except Exception as exc:  # no Optuna in this env: say so, keep the claim figure
        ctx.note(f"sweeps: bayes vs random not measured ({exc})")
        return
    ctx.note(
        f"sweeps: median best Branin after 30 runs over {seeds} seeds: bayes "
        f"{medians['bayes']:.4f}, random {medians['random']:.4f} (minimum {BRANIN_MIN})"
    )
    if not medians["bayes"] < medians["random"]:
        fig.problems.append("bayes did not beat random on Branin")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--agents", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    medians = search(args.seeds, args.runs)
    for method, value in medians.items():
        print(
            f"search  {method:6}  median best Branin after {args.runs} runs over "
            f"{args.seeds} seeds: {value:.4f} (minimum {BRANIN_MIN})"
        )
    costs = claim_costs(args.agents, 25)
    print(
        f"claim   {args.agents} agents, {len(costs)} claims: median "
        f"{statistics.median(costs):.2f} ms, p95 {percentile(costs, 0.95):.2f} ms "
        f"(target <= {CLAIM_TARGET_MS} ms)"
    )
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0 if medians["bayes"] < medians["random"] else 1


if __name__ == "__main__":
    sys.exit(main())
