"""Record an Optuna study with runcard: `python examples/optuna_search.py` (a few seconds).

Each trial becomes a run in the group `optuna-example`; pruned trials end `stopped`. Inside the
objective, `runcard.log()` lands in the trial's run. Prints the runs read back through the Api;
then try `runcard runs optuna-example --group-by kind`.
"""

from __future__ import annotations

import optuna

import runcard
from runcard_optuna import RuncardCallback

callback = RuncardCallback(metric_name="val_loss", project="optuna-example")


@callback.track_in_runcard()
def objective(trial: optuna.trial.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    kind = trial.suggest_categorical("kind", ["sgd", "adam"])
    loss = 1.0
    for epoch in range(10):
        loss *= 1 - min(lr, 0.5) * (0.9 if kind == "adam" else 0.6)
        runcard.log({"train_loss": loss, "epoch": epoch})
        trial.report(loss + 0.01, epoch)  # the history's val_loss at this step
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss + 0.01


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="optuna-example",
        sampler=optuna.samplers.TPESampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    )
    study.optimize(objective, n_trials=12, callbacks=[callback])
    for run in sorted(runcard.Api().runs("optuna-example"), key=lambda r: r.created_at):
        print(run.path, run.state, dict(run.config), run.summary.get("val_loss"))


if __name__ == "__main__":
    main()
