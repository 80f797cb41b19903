"""Analyse runs in pandas, notebook style: record a small learning-rate sweep, export it with
`runcard export` (runs and history to Parquet), then read both files back and ask questions.

    pip install 'runcard[export]'
    python examples/analyse_exported_runs.py [FOLDER]

FOLDER (default: a temporary one) receives the store and the two Parquet files.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

import runcard

folder = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())
store = folder / "store"
os.environ["RUNCARD_DIR"] = str(store)

# %% Record a sweep: 3 learning rates x 2 seeds, 20 epochs each.
for lr in (0.1, 0.01, 0.001):
    for seed in (0, 1):
        run = runcard.init(project="lr-sweep", config={"lr": lr, "seed": seed, "optimizer": "sgd"})
        for epoch in range(20):
            val_acc = 1 - math.exp(-(epoch + 1) * lr * 3) - 0.01 * seed
            run.log({"epoch": epoch, "val_acc": val_acc}, step=epoch)
        run.finish()

# %% Export the runs and their history.
runs_file = folder / "runs.parquet"
subprocess.run(
    [sys.executable, "-m", "runcard", "export", "lr-sweep", "--to", str(runs_file), "--history"],
    check=True,
)
runs = pd.read_parquet(runs_file)
history = pd.read_parquet(folder / "runs.history.parquet")

# %% Which learning rate ends best, averaged over seeds?
by_lr = runs.groupby("config.lr")["summary.val_acc"].agg(["mean", "std", "count"])
print(by_lr.sort_values("mean", ascending=False))

# %% How fast does each learning rate reach 90 % validation accuracy?
curves = history[history["key"] == "val_acc"].merge(
    runs[["id", "config.lr"]], left_on="run_id", right_on="id"
)
reached = curves[curves["value"] >= 0.9].groupby("run_id")["step"].min()
first_epoch = runs.set_index("id").join(reached.rename("epoch_to_90"))
print(first_epoch.groupby("config.lr")["epoch_to_90"].mean())
