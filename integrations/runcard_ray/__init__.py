"""runcard_ray: each Ray Tune trial becomes a runcard run, on one machine or a Ray cluster.

Usage::

    from ray import tune
    from runcard_ray import RuncardLoggerCallback, setup_runcard

    def trainable(config):
        with setup_runcard(project="search"):  # optional: runcard.log() here lands in the trial's run
            for i in range(10):
                runcard.log({"grad_norm": ...})
                tune.report({"loss": ...})

    tuner = tune.Tuner(
        trainable,
        param_space={"lr": tune.loguniform(1e-4, 1e-1)},
        tune_config=tune.TuneConfig(metric="loss", mode="min", num_samples=8),
        run_config=tune.RunConfig(name="lr-search", callbacks=[RuncardLoggerCallback(project="search")]),
    )
    tuner.fit()

Each trial's run (id `tune-<trial id>`) has Tune's resolved config in its config (provenance
source "ray-tune"), every reported result in its history at `training_iteration`, the final
result in its summary and the experiment name as its group; it ends `finished`, `failed`, or
`stopped` when a scheduler or a stop criterion ended it early. Workers on other nodes reach the
team server through `RUNCARD_URL`. Install with `pip install "runcard[ray]"`.
"""

from __future__ import annotations

from runcard_ray.callback import RuncardLoggerCallback
from runcard_ray.worker import setup_runcard

__all__ = ["RuncardLoggerCallback", "setup_runcard"]
