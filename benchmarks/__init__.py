"""runcard's benchmark suite: `python -m benchmarks` from the repository root.

Each figure of SPEC §9 is a small row function in `benchmarks/_rows.py`; the workload it times
runs in fresh processes (`benchmarks/_workloads.py`), for runcard and, where they are importable,
for the peer trackers (wandb, MLflow, trackio, tensorboardX), taking turns. Compare the ratios
printed in one run, never absolute times across runs or machines.

This package imports nothing heavy: child processes do not import it at all.
"""
