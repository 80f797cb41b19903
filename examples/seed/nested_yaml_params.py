"""Seed scenario: one nested config that holds a YAML file's contents and the hyperparameters."""

from pathlib import Path

import yaml

import runcard as wandb

with open(Path(__file__).parent / "run-metadata.yaml", encoding="utf-8") as f:
    my_yaml_file = yaml.safe_load(f)

hyperparameter_defaults = dict(
    dropout=0.5,
    batch_size=100,
    learning_rate=0.001,
)

config_dictionary = dict(
    yaml=my_yaml_file,
    params=hyperparameter_defaults,
)

wandb.init(config=config_dictionary)

wandb.finish()
