"""Seed scenario: change the config of a finished run through the public API."""

import runcard as wandb

wandb.init(project="config_example", config={"epochs": 4, "batch_size": 32})
wandb.log({"loss": 0.25})

api = wandb.Api()

# Access the attributes on the Run object or directly in the W&B App
username = wandb.run.entity
project = wandb.run.project
run_id = wandb.run.id

wandb.finish()  # the run ends here: the edit below happens after it finished

run = api.run(f"{username}/{project}/{run_id}")
run.config["bar"] = 32
run.update()
