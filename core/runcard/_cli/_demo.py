"""`runcard demo`: record a small simulated sweep, then print its runs grouped and compared."""

from __future__ import annotations

import math
import random
import secrets
import shlex

import runcard
from runcard._cli._group import group_runs, render_groups
from runcard._cli._output import OK, Terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

KEYS = ["config.learning_rate", "config.batch_size"]
METRIC = "summary.val_acc"


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "demo",
        help="record a small simulated sweep and compare its runs",
        description="Record a small simulated sweep (3 learning rates x 2 batch sizes x seeds) "
        "into project 'demo', then print it grouped by setting.",
    )
    parser.add_argument("--seeds", type=int, default=3, help="runs per setting (default: 3)")
    parser.add_argument("--epochs", type=int, default=10)
    return [("demo", command, parser)]


def simulate(run: runcard.Run, epochs: int) -> None:
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


def command(args: argparse.Namespace, api: runcard.Api, term: Terminal) -> int:
    group = f"demo-{secrets.token_hex(2)}"
    for lr in (0.1, 0.01, 0.001):
        for batch in (32, 64):
            for seed in range(args.seeds):
                config = {
                    "learning_rate": lr,
                    "batch_size": batch,
                    "seed": seed,
                    "epochs": args.epochs,
                }
                with runcard.init(project="demo", group=group, config=config, dir=args.dir) as run:
                    simulate(run, args.epochs)
    runs = list(api.runs("demo", filters={"group": group}))
    term.write(f"Recorded {len(runs)} runs in project 'demo', group {group!r}.\n")
    term.write("val_acc by setting (mean ± std over seeds, 95% CI of the mean):\n")
    groups = group_runs(runs, KEYS, [METRIC])
    render_groups(term, "table", groups, len(runs), KEYS, [METRIC], ("mean", "std", "ci"))
    best = max(groups, key=lambda g: g.stats[METRIC]["mean"] or -math.inf)
    worst = min(groups, key=lambda g: g.stats[METRIC]["mean"] or math.inf)
    setting = ", ".join(f"{k[7:]}={v}" for k, v in zip(KEYS, best.values, strict=True))
    term.write(f"\nBest setting: {setting} (val_acc {best.stats[METRIC]['mean']:.3f}).")
    store = f" --dir {shlex.quote(args.dir)}" if args.dir else ""
    term.write(
        "\nThe same from the shell, then the best run against the worst:\n"
        f"  runcard runs demo{store} --filter group={group} --group-by learning_rate,batch_size"
        " --columns val_acc\n"
        f"  runcard diff{store} {best.runs[0].path} {worst.runs[0].path}\n"
        f"  runcard config blame{store} {best.runs[0].path}"
    )
    return OK
