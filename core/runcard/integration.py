"""What a framework adapter needs from runcard, offered once.

The adapters (`runcard_lightning`, `runcard_keras`, `runcard_hydra`, `runcard_absl`,
`runcard_optuna`, `runcard_ray`) are thin layers over the public API: framework hooks in,
`runcard.init` / `Run.log` / `Run.finish` out.
The few things they all need beyond that live here, so that each adapter stays the same small
skeleton, and a new one starts from these functions:

- `check_init_arguments`: refuse arguments `runcard.init` does not take when the adapter is
  built, not when its first run starts (after an epoch, say);
- `run_to_record`: the run a hook records into: the one given, else the active one, else a
  new one the adapter owns (and finishes);
- `finish_run`: `run.finish()` that warns, not raises, on a store problem;
- `start_run`: a run of the adapter's own, beside any other live run (`reinit="create_new"`),
  or the live run when `runcard.setup(reinit="return_previous")` is in force; a store that
  cannot be written gives a disabled run and a warning, never an error in the training job;
- `new_run_id`, `default_project`: a run's id and project known before the run starts (a
  Lightning logger names checkpoint folders with them, on every rank);
- `flatten`: nested dicts as dotted keys, as a summary shows them;
- `update_finished_summary`: write into the summary of a run that has already finished (an
  evaluation after the fit's run ended, a return value after the script finished its run).
"""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Mapping

from runcard import _api, _errors, _names, _process, _session, _settings, _state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._run import Run

__all__ = [
    "check_init_arguments",
    "default_project",
    "finish_run",
    "flatten",
    "live_run",
    "new_run_id",
    "run_to_record",
    "start_run",
    "update_finished_summary",
]

_INIT_ARGUMENTS = frozenset(inspect.signature(_session.init).parameters)


def check_init_arguments(init_kwargs: Mapping[str, Any], owner: str) -> None:
    """Raise TypeError naming the keys of `init_kwargs` that `runcard.init()` does not take.

    Args:
        init_kwargs: the arguments an adapter will pass to `runcard.init()`.
        owner: how the adapter is called, for the message (`"RuncardLogger()"`).
    """
    unknown = sorted(set(init_kwargs) - _INIT_ARGUMENTS)
    if unknown:
        raise TypeError(
            f"{owner} got {', '.join(map(repr, unknown))}, which runcard.init() does not take; "
            f"it takes {', '.join(sorted(_INIT_ARGUMENTS))}"
        )


def run_to_record(run: Run | None = None, **init_kwargs: Any) -> tuple[Run, bool]:
    """The run to record into, and whether the adapter owns it (then it must finish it):
    `run` when given; else the active run (`runcard.run`); else a new run started with
    `runcard.init(**init_kwargs)`, which the adapter owns. Only the new run uses
    `init_kwargs`."""
    if run is not None:
        return run, False
    active = _state.get_run()
    if active is not None and active not in _adapter_runs:
        return active, False
    return start_run(**init_kwargs), True


# the runs adapters started for themselves: another adapter's hook starts its own run beside
# one of these (two Keras callbacks in one fit), where it would join the user's own run
_adapter_runs: weakref.WeakSet[Run] = weakref.WeakSet()


def start_run(**init_kwargs: Any) -> Run:
    """`runcard.init(**init_kwargs)` for an adapter's own run. With no run live it is the
    current run, as wandb's own loggers make theirs (so `runcard.log()` in the user's code
    lands in it). Beside a live run it starts with `reinit="create_new"`, so that two adapters
    (two Lightning loggers in one Trainer, a logger beside the user's run) each get a run and
    never finish each other's; but when `runcard.setup(reinit="return_previous")` is in force
    (a Hydra job's run), the live run is returned, as `init()` does then.

    A store problem (a read-only folder, a locked or full database) must not stop training:
    it is logged as a warning and the run is a disabled one, which records nothing."""
    kwargs = dict(init_kwargs)
    live = _state.get_run()
    joining = live is not None and _process.process.reinit_default == "return_previous"
    if live is not None and not joining:
        kwargs.setdefault("reinit", "create_new")
    try:
        run = _session.init(**kwargs)
        if run is not live:
            _adapter_runs.add(run)
        return run
    except (_errors.StoreError, OSError) as exc:
        logging.getLogger("runcard").warning(
            "runcard: could not start a run (%s: %s); training goes on, recording nothing",
            type(exc).__name__,
            exc,
        )
        kwargs["mode"] = "disabled"  # its run.dir is a scratch folder, never the store's
        kwargs.pop("resume", None)
        return _session.init(**kwargs)


def finish_run(run: Run, exit_code: int | None = None) -> None:
    """`run.finish(exit_code)` for an adapter's hook: a store problem at the end (values that
    could not be stored, a full disk) is logged as a warning, and the training job goes on."""
    try:
        run.finish(exit_code=exit_code)
    except (_errors.StoreError, OSError) as exc:
        logging.getLogger("runcard").warning(
            "runcard: run %s could not be stored in full (%s: %s)",
            run.path,
            type(exc).__name__,
            exc,
        )


def live_run(path: str) -> Run | None:
    """The live run of this process stored at `path` ("entity/project/id"), if any: for an
    adapter object copied (pickled, deep-copied) in the process that holds its run."""
    for run in _process.process.live_runs:
        if run.path == path and not run._finished:
            return run
    return None


def new_run_id() -> str:
    """A new run id, as `runcard.init()` makes one: 8 random characters of [0-9a-z]."""
    return _names.new_run_id()


def default_project() -> str:
    """The project `runcard.init()` uses when given none: $RUNCARD_PROJECT, else
    "uncategorized"."""
    return _settings.default_project()


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: `{"val": {"acc": 1}}` gives `{"val.acc": 1}`; other
    values are kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def update_finished_summary(run: Run, values: Mapping[str, Any]) -> None:
    """Write `values` (nested dicts flattened to dotted keys) into the stored summary of `run`,
    which has finished: recorded as an edit with source "api", as
    `runcard.Api().run(run.path).summary.update(...)` then `.update()` records it. A disabled
    run stores nothing, so nothing is written.

    Raises:
        RunNotFoundError: the store no longer holds the run (deleted since).
    """
    if run.mode == "disabled":
        return
    stored = _api.Api(dir=run._root).run(run.path)
    stored.summary.update(flatten(values))
    stored.update()
