"""The program of sweep.yaml: takes its values as --key=value flags (wandb's `${args}`), and
runcard.init() takes them too, from the agent."""

import argparse
import math
import time

import runcard as wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--augment", type=lambda s: s == "True", default=False)
args = parser.parse_args()

run = wandb.init(config=args)
for epoch in range(20):
    loss = (math.log10(run.config.lr) + 2) ** 2 + abs(run.config.batch_size - 64) / 64
    wandb.log({"val_loss": loss + 1 / (epoch + 1)})
    time.sleep(0.05)
wandb.finish()
