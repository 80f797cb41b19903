"""Seed scenario: config-defaults.yaml beside the script, overridden by init(config=...)."""

import runcard as wandb

# Override config-defaults.yaml by passing custom values
wandb.init(config={"epochs": 200, "batch_size": 64})

wandb.finish()
