"""`tox exec -e interop -- python benchmarks/import_speed.py [--points N] [--reps R]`: scalar
points imported per second by `runcard import tensorboard` and `runcard import wandb` (issue 23's
target: >= 200,000 points/s each).

The sources are written once per run of this script: a TensorBoard logdir by torch's
SummaryWriter and a wandb offline run, each N points (N/4 steps x 4 keys). Each rep imports into
a fresh store, in this process (interpreter start and imports excluded); prints the medians.

TensorBoard's event reader checks each record's CRC in pure Python unless TensorFlow is
installed (then it uses TensorFlow's C++ reader): on the 2-core machine, about 70,000 points/s
in the interop env, about 245,000 in the tf env.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS = ("loss", "acc", "lr", "grad_norm")
TARGET = 200_000

WANDB_SCRIPT = """
import sys, wandb
run = wandb.init(project="bench", mode="offline")
for step in range(int(sys.argv[1])):
    run.log({"loss": 1.0 / (step + 1), "acc": step * 1e-6, "lr": 0.1, "grad_norm": 2.0}, step=step)
run.finish()
"""


def write_tensorboard(folder: Path, steps: int) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder / "tb" / "run"))
    for step in range(steps):
        for number, key in enumerate(KEYS):
            writer.add_scalar(key, step * 0.001 + number, step)
    writer.close()
    return folder / "tb"


def write_wandb(folder: Path, steps: int) -> Path:
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(folder)}
    env["HOME"] = str(folder)
    script = folder / "log.py"
    script.write_text(WANDB_SCRIPT)
    subprocess.run([sys.executable, str(script), str(steps)], env=env, check=True, cwd=folder)
    return folder / "wandb"


def time_import(tool: str, source: Path, reps: int) -> float:
    from runcard._cli import main

    seconds = []
    for rep in range(reps):
        with tempfile.TemporaryDirectory() as store:
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(["--dir", store, "import", tool, str(source), "--project", f"p{rep}"])
            seconds.append(time.perf_counter() - start)
            if code != 0:
                raise SystemExit(f"runcard import {tool} failed with exit code {code}")
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    steps = args.points // len(KEYS)
    points = steps * len(KEYS)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"writing {points:,} points per source ...", file=sys.stderr)
        sources = {
            "tensorboard": write_tensorboard(folder, steps),
            "wandb": write_wandb(folder, steps),
        }
        print(f"{'source':<12} {'points/s':>12} {'target':>10}  meets")
        for tool, source in sources.items():
            rate = points / time_import(tool, source, args.reps)
            meets = "yes" if rate >= TARGET else "no"
            print(f"{tool:<12} {rate:>12,.0f} {TARGET:>10,}  {meets}")


if __name__ == "__main__":
    main()
