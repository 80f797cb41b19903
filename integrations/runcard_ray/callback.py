"""`RuncardLoggerCallback`: a Ray Tune logger callback that records each trial as a runcard run."""

from __future__ import annotations

import contextvars

import runcard
from runcard import integration
from runcard_ray._trial import INSTALL_HINT, SOURCE, metrics, run_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from ray.tune.logger import LoggerCallback
except ImportError as error:  # reported when a callback is constructed, never at import
    LoggerCallback = object
    _RAY_MISSING: str | None = f"{type(error).__name__}: {error}"
else:
    _RAY_MISSING = None


class RuncardLoggerCallback(LoggerCallback):  # type: ignore[misc,valid-type]
    """Records each trial of a `tune.Tuner(..., run_config=RunConfig(callbacks=[...]))` as a
    runcard run, from the driver.

    Per trial, the run `tune-<trial id>` named after the trial, in the group named after the
    experiment, holding: Tune's resolved config (source "ray-tune"); every reported result's
    numbers (nested dicts as dotted keys, Tune's bookkeeping left out) in the history at its
    `training_iteration`; the final result's numbers in the summary. When Tune ends the trial
    the run ends `finished` (the trainable returned), `failed` (it raised), or `stopped` (a
    scheduler such as ASHA, or a stop criterion, ended it early). A restored trial continues
    its run. The runs never become the driver's current run.

    Inside the trainable, `runcard_ray.setup_runcard()` opens the same run on the worker.

    Args:
        **init_kwargs: arguments of `runcard.init()` for each trial's run (`project=`, `dir=`,
            `tags=`, `config=` for values common to all trials, ...); `group=` replaces the
            experiment name.
    """

    def __init__(self, **init_kwargs: Any) -> None:
        if _RAY_MISSING is not None:
            raise ModuleNotFoundError(
                f"RuncardLoggerCallback needs Ray Tune: {INSTALL_HINT} (importing "
                f"ray.tune failed: {_RAY_MISSING})"
            )
        integration.check_init_arguments(init_kwargs, "RuncardLoggerCallback()")
        for fixed in ("id", "resume"):
            if fixed in init_kwargs:
                raise runcard.UsageError(
                    f"RuncardLoggerCallback({fixed}=...): each trial's run has its own id"
                )
        super().__init__()
        self._init_kwargs = init_kwargs
        self._runs: dict[str, runcard.Run] = {}

    def log_trial_start(self, trial: Any) -> None:
        if trial.trial_id in self._runs:
            return
        kwargs = dict(self._init_kwargs)
        kwargs.setdefault("group", trial.experiment_dir_name)
        kwargs.setdefault("name", str(trial))
        # in a context of its own: the trial's run never replaces the driver's current run
        run = contextvars.Context().run(
            runcard.init, id=run_id(trial.trial_id), resume="allow", **kwargs
        )
        run.config.update(dict(trial.config), source=SOURCE, allow_val_change=True)
        self._runs[trial.trial_id] = run

    def log_trial_restore(self, trial: Any) -> None:
        self.log_trial_start(trial)

    def log_trial_result(self, iteration: int, trial: Any, result: dict[str, Any]) -> None:
        if trial.trial_id not in self._runs:
            self.log_trial_start(trial)
        values = metrics(result)
        step = result.get("training_iteration")
        if values and isinstance(step, int):
            self._runs[trial.trial_id].log(values, step=step)

    def log_trial_end(self, trial: Any, failed: bool = False) -> None:
        run = self._runs.pop(trial.trial_id, None)
        if run is None:
            return
        last = trial.last_result or {}
        run.summary.update(metrics(last))
        if failed:
            state = "failed"
        elif last.get("done"):
            state = "finished"
        else:
            state = "stopped"
        run.finish(state=state)

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        for trial in trials:
            if trial.trial_id in self._runs:  # ended without a trial-end event (interrupted)
                self.log_trial_end(trial, failed=trial.status == "ERROR")
