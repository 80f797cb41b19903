"""Record a Ray Tune search with runcard: `python examples/ray_tune_search.py` (about a minute).

Starts a local Ray cluster (2 CPUs), runs 6 trials with an ASHA scheduler, and records each
trial as a run in the group `tune-example`: Tune's results at each training iteration, and what
the trainable logs itself through `runcard.log()` on its worker. On a cluster, set RUNCARD_URL
(the team server) in the workers' environment so every node records into the same store.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler

import runcard
from runcard_ray import RuncardLoggerCallback, setup_runcard

STORE = os.environ.get("RUNCARD_DIR") or os.path.abspath(".runcard")


def trainable(config: dict[str, Any]) -> None:
    with setup_runcard(project="tune-example", dir=STORE):
        loss = 1.0
        for iteration in range(1, 9):
            loss *= 1 - config["lr"]
            runcard.log({"worker.loss_squared": loss * loss}, step=iteration)
            tune.report({"loss": loss})


def main() -> None:
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    try:
        tuner = tune.Tuner(
            trainable,
            param_space={"lr": tune.grid_search([0.5, 0.3, 0.1, 0.05, 0.02, 0.01])},
            tune_config=tune.TuneConfig(
                metric="loss",
                mode="min",
                scheduler=ASHAScheduler(max_t=10, grace_period=1, reduction_factor=3),
                max_concurrent_trials=2,
            ),
            run_config=tune.RunConfig(
                name="tune-example",
                storage_path=tempfile.mkdtemp(prefix="ray-results-"),
                callbacks=[RuncardLoggerCallback(project="tune-example", dir=STORE)],
                verbose=0,
            ),
        )
        tuner.fit()
    finally:
        ray.shutdown()
    for run in runcard.Api(dir=STORE).runs("tune-example"):
        print(run.path, run.state, run.config["lr"], run.summary.get("loss"))


if __name__ == "__main__":
    main()
