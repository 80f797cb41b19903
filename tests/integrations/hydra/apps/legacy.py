"""A Hydra app without version_base: Hydra's 1.1 defaults, so each job changes directory into
its output folder (hydra.job.chdir=True). Run as a subprocess by the runcard_hydra tests."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

import runcard


@hydra.main(config_path="conf", config_name="plain")
def main(cfg: DictConfig) -> float:
    runcard.log({"loss": cfg.lr})
    return float(cfg.lr)


if __name__ == "__main__":
    main()
