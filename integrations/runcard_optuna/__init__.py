"""runcard_optuna: each Optuna trial becomes a runcard run.

Usage::

    import optuna
    from runcard_optuna import RuncardCallback

    callback = RuncardCallback(metric_name="val_loss", project="search")

    @callback.track_in_runcard()  # optional: runcard.log() inside the objective lands in the trial's run
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        ...
        return val_loss

    study = optuna.create_study(study_name="lr-search", pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=20, callbacks=[callback])

Each trial's run has the trial's params in its config (provenance source "optuna", each
distribution as the key's description), its value(s) in the summary under the metric name(s),
its intermediate values (`trial.report`) in the history at their step, and the study name as its
group; a pruned trial is `stopped`, a failed one `failed`. Install with
`pip install "runcard[optuna]"`.
"""

from __future__ import annotations

from runcard_optuna.callback import RuncardCallback

__all__ = ["RuncardCallback"]
