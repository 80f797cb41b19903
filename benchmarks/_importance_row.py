"""The `importance` row: `Api().importance` over 10k runs (store built once, import and store
open excluded), in this process. Needs the `analysis` extra; without it the row says so."""

from __future__ import annotations

import importlib.util
import math
import random
import time

from benchmarks._harness import Context, Figure, Sample, row

RUNS = (10_000, 2_000)  # full, --quick


def _build(directory: str, count: int) -> None:
    import runcard

    rng = random.Random(0)
    for _ in range(count):
        lr = 10 ** rng.uniform(-4, -1)
        batch = rng.choice([16, 32, 64, 128, 256])
        config = {"lr": lr, "batch_size": batch, "seed": rng.randrange(10**6), "arch": "mlp"}
        config["optimizer"] = rng.choice(["adam", "sgd", "rmsprop"])
        run = runcard.init(project="importance", config=config, dir=directory)
        noise = rng.gauss(0, 0.01)
        run.summary["val_acc"] = 0.9 - 0.08 * (math.log10(lr) + 2.5) ** 2 + noise
        run.finish()


@row("importance", "Api().importance over 10k runs, 5 config keys", unit="ms", target=2000.0)
def importance(ctx: Context, fig: Figure) -> None:
    count = RUNS[1] if ctx.quick else RUNS[0]
    fig.title = f"Api().importance over {count:,} runs, 5 config keys"
    if importlib.util.find_spec("sklearn") is None:
        ctx.skip(fig, "runcard", "needs the analysis extra: pip install 'runcard[analysis]'")
        return
    import runcard

    store = ctx.new_store("runcard") / "runcard"
    _build(str(store), count)
    api = runcard.Api(dir=str(store))
    api.runs("importance", keys=["config.lr"])  # open the store: not part of the figure
    for _ in range(ctx.reps):
        start = time.perf_counter()
        report = api.importance("importance", "val_acc")
        elapsed = (time.perf_counter() - start) * 1000
        fig.result("runcard").samples.append(Sample(elapsed, {"runs": report["runs"]}, store))
        if report["runs"] != count or report["keys"][0]["key"] != "config.lr":
            fig.problems.append(f"importance read {report['runs']:,} runs, lr not first")
