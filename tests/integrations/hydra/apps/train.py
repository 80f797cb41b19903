"""A tiny Hydra app for the runcard_hydra tests (run as a subprocess)."""

from __future__ import annotations

import json
import os

import hydra
from omegaconf import DictConfig

import runcard


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig) -> object:
    run = runcard.init(config={"from_task": True})  # joins the callback's run
    for epoch in range(cfg.epochs):
        runcard.log({"loss": cfg.lr / (epoch + 1), "epoch": epoch})
    record = os.environ.get("RUNCARD_HYDRA_TEST_RECORD")
    if record:
        current = runcard.run
        line = {"init": run.path, "current": current and current.path, "dir": run.dir}
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    if cfg.fail_above_lr is not None and cfg.lr > cfg.fail_above_lr:
        raise RuntimeError(f"lr {cfg.lr} is above {cfg.fail_above_lr}")
    score = cfg.lr * cfg.model.width
    if cfg.finish_in_task:
        runcard.finish()  # as wandb scripts often end
    if cfg.returns == "dict":
        return {"score": score, "epochs_run": cfg.epochs}
    if cfg.returns == "number":
        return score
    return None


if __name__ == "__main__":
    main()
