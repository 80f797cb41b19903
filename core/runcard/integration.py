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
- `new_run_id`, `default_project`: a run's id and project known before the run starts (a
  Lightning logger names checkpoint folders with them, on every rank);
- `flatten`: nested dicts as dotted keys, as a summary shows them;
- `update_finished_summary`: write into the summary of a run that has already finished (an
  evaluation after the fit's run ended, a return value after the script finished its run).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from runcard import _api, _names, _session, _settings, _state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._run import Run

__all__ = [
    "check_init_arguments",
    "default_project",
    "flatten",
    "new_run_id",
    "run_to_record",
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
    if active is not None:
        return active, False
    return _session.init(**init_kwargs), True


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
