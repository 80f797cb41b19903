"""Seed scenario: add absl flags to the config (`python absl_flags.py --model resnet`)."""

import sys

from absl import flags

import runcard as wandb

flags.DEFINE_string("model", None, "실행할 모델")  # name, default, help

flags.FLAGS(sys.argv)  # parse the command line, as absl.app.run would
wandb.init(project="config_example")

wandb.config.update(flags.FLAGS)  # add absl flags to the config

wandb.finish()
