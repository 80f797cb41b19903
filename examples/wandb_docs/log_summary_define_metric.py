import runcard as wandb
import random

random.seed(1)
wandb.init()

# Min and max summaries for loss
wandb.define_metric("loss", summary="min")
wandb.define_metric("loss", summary="max")

# Min and max summaries for accuracy
wandb.define_metric("acc", summary="min")
wandb.define_metric("acc", summary="max")

for i in range(10):
    log_dict = {
        "loss": random.uniform(0, 1 / (i + 1)),
        "acc": random.uniform(1 / (i + 1), 1),
    }
    wandb.log(log_dict)
