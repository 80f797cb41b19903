"""Seed scenario: `python train.py --configs other-config.yaml --seed 7`.

runcard takes `--configs` and its value off sys.argv when it is imported, so the script's own
argument parser, which knows nothing of `--configs`, keeps working.
"""

import argparse

import runcard as wandb

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0, help="random seed")
args = parser.parse_args()

wandb.init(project="config_example", config=args)

wandb.finish()
