"""The `runcard` command. Only this module (and the web app) writes to stdout."""

from __future__ import annotations

import argparse
import math
import random
import sys

import runcard
from runcard._names import new_run_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runcard", description=runcard.__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"runcard {runcard.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="record a small simulated sweep and compare its runs")
    demo.add_argument("--dir", help="store directory (default: $RUNCARD_DIR or ~/.runcard)")
    demo.add_argument("--seeds", type=int, default=3, help="runs per setting (default: 3)")
    demo.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    try:
        return _demo(args.dir, args.seeds, args.epochs)
    except runcard.Error as exc:
        print(f"runcard: {exc}", file=sys.stderr)
        return 2


def _simulate(run: runcard.Run, epochs: int) -> None:
    """The seed's config_experiment.py: accuracy grows with epochs, shaped by the settings."""
    lr, batch, seed = run.config.learning_rate, run.config.batch_size, run.config.seed
    rng = random.Random(seed)
    skill = 1.0 - abs(math.log10(lr) + 2) / 3 - (batch - 32) / 400
    for epoch in range(1, epochs + 1):
        progress = 1 - math.exp(-epoch / 4)
        run.log(
            {
                "epoch": epoch,
                "train_loss": 1.2 - progress * skill + rng.gauss(0, 0.02),
                "val_acc": 0.1 + 0.85 * progress * skill + rng.gauss(0, 0.01),
            }
        )


def _demo(directory: str | None, seeds: int, epochs: int) -> int:
    group = f"demo-{new_run_id(4)}"
    settings = [(lr, batch) for lr in (0.1, 0.01, 0.001) for batch in (32, 64)]
    for lr, batch in settings:
        for seed in range(seeds):
            config = {"learning_rate": lr, "batch_size": batch, "seed": seed, "epochs": epochs}
            with runcard.init(project="demo", group=group, config=config, dir=directory) as run:
                _simulate(run, epochs)
    runs = runcard.Api(dir=directory).runs("demo", filters={"group": group})
    print(f"Recorded {len(runs)} runs in project 'demo', group {group!r}.\n")
    print("val_acc by setting (mean ± std over seeds):\n")
    rows = [("learning_rate", "batch_size", "runs", "val_acc")]
    best: tuple[float, str] = (-1.0, "")
    for lr, batch in settings:
        scores = [
            r.summary["val_acc"]
            for r in runs
            if r.config["learning_rate"] == lr and r.config["batch_size"] == batch
        ]
        mean = sum(scores) / len(scores)
        std = (sum((s - mean) ** 2 for s in scores) / max(len(scores) - 1, 1)) ** 0.5
        rows.append((str(lr), str(batch), str(len(scores)), f"{mean:.3f} ± {std:.3f}"))
        best = max(best, (mean, f"learning_rate={lr}, batch_size={batch}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"\nBest setting: {best[1]} (val_acc {best[0]:.3f}).")
    example = runs[0]
    print(f"\nRead any run back: runcard.Api().run({example.path!r}).config")
    return 0


if __name__ == "__main__":
    sys.exit(main())
