"""A function sweep, as with wandb: `python function_sweep.py` (needs `runcard[sweeps]` for
bayes). Runs 12 suggestions in this process and prints the best."""

import math

import runcard as wandb

sweep_config = {
    "method": "bayes",
    "metric": {"name": "val_loss", "goal": "minimize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
        "batch_size": {"values": [16, 32, 64, 128]},
        "optimizer": {"parameters": {"name": {"values": ["adam", "sgd"]}}},
    },
}


def train() -> None:
    run = wandb.init(config={"lr": 0.01, "batch_size": 32, "epochs": 5})  # defaults
    config = run.config  # the sweep's values won over the defaults, and are locked
    for epoch in range(config.epochs):
        loss = (math.log10(config.lr) + 2.5) ** 2 + abs(config.batch_size - 64) / 128
        loss += 0.1 if config.optimizer["name"] == "sgd" else 0.0
        wandb.log({"val_loss": loss + 1 / (epoch + 1)})


if __name__ == "__main__":
    sweep_id = wandb.sweep(sweep_config, project="sweep-demo")
    wandb.agent(sweep_id, function=train, count=12)
    runs = wandb.Api().runs("sweep-demo", filters={"sweep": sweep_id})
    best = min(runs, key=lambda r: r.summary["val_loss"])
    print(f"sweep {sweep_id}: best val_loss {best.summary['val_loss']:.4f} with {best.config}")
