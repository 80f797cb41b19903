"""`RuncardCallback`: an Optuna study callback that records each trial as a runcard run."""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Sequence

import runcard
from runcard import integration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INSTALL_HINT = 'pip install "runcard[optuna]"'

try:
    import optuna
except ImportError as error:  # reported when a callback is constructed, never at import
    optuna = None
    _OPTUNA_MISSING: str | None = f"{type(error).__name__}: {error}"
else:
    _OPTUNA_MISSING = None

SOURCE = "optuna"
# a trial's end state -> the run's; RUNNING / WAITING never reach a callback
_STATES = {"COMPLETE": "finished", "PRUNED": "stopped", "FAIL": "failed"}
_PLAIN = (bool, int, float, str, type(None))


def _require_optuna() -> None:
    if optuna is None:
        raise ModuleNotFoundError(
            f"RuncardCallback needs Optuna: {INSTALL_HINT} (importing optuna failed: "
            f"{_OPTUNA_MISSING})"
        ) from None


def settings_of(component: Any) -> dict[str, Any]:
    """A sampler's or pruner's configuration: its class, and its plain settings (numbers,
    strings, booleans: what it was built with, such as `n_startup_trials`)."""
    found: dict[str, Any] = {"class": type(component).__name__}
    for name, value in sorted(vars(component).items()):
        if isinstance(value, _PLAIN):
            found[name.lstrip("_")] = value
    return found


class RuncardCallback:
    """Records each trial of `study.optimize(..., callbacks=[callback])` as a runcard run.

    Per trial, a run named `trial-<number>` in the group named after the study, holding:
    the trial's params in the config (source "optuna", each key described by its
    distribution, `FloatDistribution(high=0.1, log=True, low=1e-05, step=None)` say); under
    `optuna.*` in the config the trial number, the study name, its direction(s), and the
    sampler's and pruner's configuration (`optuna.sampler.class`, `optuna.sampler.n_startup_trials`,
    ...); the value(s) in the summary under `metric_name` (a list for a multi-objective study);
    the intermediate values of `trial.report(value, step)` in the history under the first
    metric name at their step; the trial's user attributes in the summary under `user_attrs.*`.
    A complete trial's run ends `finished`, a pruned one `stopped`, a failed one `failed`.

    The callback runs in the process (and thread) that ran the trial, so a study shared through
    Optuna's RDB storage by several processes, each with its own callback, records each trial
    once. The runs it starts never replace the caller's current run.

    Optuna calls callbacks after the trial is told, and not at all for a trial whose exception
    it re-raises (one not in `catch=`): with `track_in_runcard()` that trial's run is still
    recorded, as `failed`.

    Args:
        metric_name: the summary key(s) of the objective's value(s); one per objective.
        **init_kwargs: arguments of `runcard.init()` for each trial's run (`project=`, `dir=`,
            `tags=`, `config=` for values common to all trials, ...); `group=` and `name=`
            replace the study name and `trial-<number>`.
    """

    def __init__(self, metric_name: str | Sequence[str] = "value", **init_kwargs: Any) -> None:
        _require_optuna()
        names = [metric_name] if isinstance(metric_name, str) else list(metric_name)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(
                f"RuncardCallback(metric_name={metric_name!r}): use a non-empty name, or a list "
                "of them for a multi-objective study"
            )
        integration.check_init_arguments(init_kwargs, "RuncardCallback()")
        self._metric_names = names
        self._init_kwargs = init_kwargs
        self._lock = threading.Lock()
        # runs started by track_in_runcard(), waiting for the trial to be told: by trial id
        self._open: dict[tuple[str, int], runcard.Run] = {}
        self._done: set[tuple[str, int]] = set()

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        key = (study.study_name, trial.number)
        with self._lock:
            run = self._open.pop(key, None)
            if key in self._done:  # failed in track_in_runcard(), recorded there
                self._done.discard(key)
                return
        if run is None:
            run = contextvars.Context().run(self._start, study, trial)
        self._record(run, study, trial)

    def track_in_runcard(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A decorator for the objective: the trial's run starts before the objective runs and
        is the current run inside it, so `runcard.log()` there lands in it (the caller's
        current run, if any, is left as it was). The callback finishes the run once Optuna has
        told the trial (so the callback must be in `callbacks=` too); an exception Optuna
        re-raises finishes it as `failed` at once."""

        def decorator(objective: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(objective)
            def wrapped(trial: optuna.trial.Trial, *args: Any, **kwargs: Any) -> Any:
                context = contextvars.Context()
                return context.run(self._run_objective, objective, trial, args, kwargs)

            return wrapped

        return decorator

    def _run_objective(
        self,
        objective: Callable[..., Any],
        trial: optuna.trial.Trial,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        study = trial.study
        run = self._start(study, trial)
        key = (study.study_name, trial.number)
        with self._lock:
            self._open[key] = run
        try:
            return objective(trial, *args, **kwargs)
        except optuna.TrialPruned:
            raise
        except BaseException as exc:
            # recorded now: Optuna calls no callback when it re-raises this exception (and
            # when it catches it, the callback finds the run done)
            with self._lock:
                self._open.pop(key, None)
                self._done.add(key)
            run.summary["error"] = f"{type(exc).__name__}: {exc}"
            self._record(run, study, _running_trial(study, trial.number), state="failed")
            raise

    def _start(self, study: optuna.Study, trial: Any) -> runcard.Run:
        kwargs = dict(self._init_kwargs)
        kwargs.setdefault("group", study.study_name)
        kwargs.setdefault("name", f"trial-{trial.number}")
        return runcard.init(**kwargs)

    def _config(
        self,
        run: runcard.Run,
        study: optuna.Study,
        params: dict[str, Any],
        distributions: dict[str, Any],
        number: int,
    ) -> None:
        described = {key: str(distributions[key]) for key in params if key in distributions}
        run.config.update(dict(params), source=SOURCE, descriptions=described)
        directions = [d.name.lower() for d in study.directions]
        run.config.update(
            {
                "optuna": {
                    "trial": number,
                    "study": study.study_name,
                    "direction": directions[0] if len(directions) == 1 else directions,
                    "sampler": settings_of(study.sampler),
                    "pruner": settings_of(study.pruner),
                }
            },
            source=SOURCE,
            allow_val_change=True,
        )

    def _record(
        self,
        run: runcard.Run,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        state: str | None = None,
    ) -> None:
        state = state or _STATES.get(trial.state.name, "failed")
        self._config(run, study, trial.params, trial.distributions, trial.number)
        name = self._metric_names[0]
        for step, value in sorted(trial.intermediate_values.items()):
            run.log({name: value}, step=step)
        values = trial.values
        if values is not None:
            if len(values) != len(self._metric_names):
                run.finish(state="failed")
                raise ValueError(
                    f"RuncardCallback(metric_name={self._metric_names!r}) names "
                    f"{len(self._metric_names)} value(s); trial {trial.number} of study "
                    f"{study.study_name!r} has {len(values)}: give one name per objective"
                )
            for metric, value in zip(self._metric_names, values, strict=True):
                run.summary[metric] = value
        for attr, value in trial.user_attrs.items():
            run.summary[f"user_attrs.{attr}"] = value
        run.finish(state=state)


def _running_trial(study: optuna.Study, number: int) -> optuna.trial.FrozenTrial:
    """The stored state of a trial still running (its params and intermediate values)."""
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    return next(t for t in running if t.number == number)
