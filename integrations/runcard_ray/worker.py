"""`setup_runcard()`: inside a Tune trainable, the trial's run as the current run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import runcard
from runcard import integration
from runcard_ray._trial import INSTALL_HINT, run_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@contextlib.contextmanager
def setup_runcard(**init_kwargs: Any) -> Iterator[runcard.Run]:
    """Inside a Tune trainable, `with setup_runcard(project=...) as run:` opens the trial's
    run on the worker and makes it the current run, so that `runcard.log()` in the block lands
    in it; leaving the block stores what was logged and ends the run on the worker: `finished`
    when the block ends, `stopped` when Tune stops the trial (a scheduler's decision reaches
    the trainable as `SystemExit(0)` in `tune.report`), `failed` when it raises. The driver's
    callback sets the same state when Tune ends the trial, whichever comes first.

    Pass the same `project=` (and `dir=`, `entity=`) as to `RuncardLoggerCallback`, or set
    them for every process through RUNCARD_PROJECT / RUNCARD_DIR; a worker on another node
    reaches the team server through RUNCARD_URL (set it in its environment or the Tuner's
    `runtime_env`).
    Rows logged without `step=` are numbered on the worker; log with `step=` the training
    iteration to line them up with Tune's results.

    Raises:
        RuntimeError: not inside a Tune trial.
    """
    integration.check_init_arguments(init_kwargs, "setup_runcard()")
    for fixed in ("id", "group", "resume"):
        if fixed in init_kwargs:
            raise runcard.UsageError(
                f"setup_runcard({fixed}=...): the trial sets the run's id, group and resume"
            )
    try:
        from ray import tune
    except ImportError as error:
        raise ModuleNotFoundError(f"setup_runcard() needs Ray Tune: {INSTALL_HINT}") from error
    context = tune.get_context()
    trial_id = context.get_trial_id() if context is not None else None
    if not trial_id:
        raise RuntimeError("setup_runcard() runs inside a Tune trainable, in a trial")
    run = runcard.init(
        id=run_id(trial_id),
        group=context.get_experiment_name(),
        name=context.get_trial_name(),
        resume="allow",
        **init_kwargs,
    )
    try:
        yield run
    except SystemExit as stop:
        run.finish(state="stopped" if stop.code in (0, None) else "failed")
        raise
    except BaseException:
        run.finish(state="failed")
        raise
    run.finish()
