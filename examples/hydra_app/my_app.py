"""A Hydra app recorded by runcard: each job (each point of a sweep) is one run.

    python examples/hydra_app/my_app.py                                  # one run
    python examples/hydra_app/my_app.py -m lr=0.001,0.01 model=small,large   # four runs
    runcard runs hydra-example --group-by model.name                     # compare them

The callback is enabled by one line in conf/config.yaml's defaults list
(`- override hydra/callbacks: runcard`); see the README's Hydra section.
"""

from __future__ import annotations

import math
import random

import hydra
from omegaconf import DictConfig

import runcard


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> dict[str, float]:
    rng = random.Random(cfg.seed)
    capacity = cfg.model.width * cfg.model.depth
    loss = 1.0
    for epoch in range(cfg.epochs):
        # a made-up training curve: faster with a larger lr, lower with more capacity
        loss = math.exp(-cfg.optimizer.lr * 200 * (epoch + 1)) + 10 / capacity
        loss += rng.uniform(0, 0.01)
        runcard.log({"epoch": epoch, "loss": loss})  # goes to this job's run
    # the returned dict lands in the run's summary (and is what sweepers optimize)
    return {"final_loss": loss, "params": float(capacity)}


if __name__ == "__main__":
    main()
