"""Copies and pickles of a Run, its Config and its Summary, as wandb's behave where that is
coherent here (README, "Differences from wandb"):

- a Run is one live thing: `copy.copy` and `copy.deepcopy` return the run itself (wandb's
  deepcopy does), so that cloning an object holding a run (a Keras callback under KerasTuner,
  an sklearn-style clone) shares the run instead of failing. A pickled run unpickles as that
  run where it is live in the process; elsewhere as a disabled stand-in with its identity.
- `copy.copy` of a Config or Summary is the object itself (wandb's shallow copy shares its
  values and its link to the run: a distinct object behaving the same). A deep copy or a
  pickle is a detached snapshot: its values, writable, stored nowhere.

The classes come from the objects (`type(x)`), not imports: those modules import this one.
"""

from __future__ import annotations

import copy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._config import Config
    from runcard._run import Run
    from runcard._summary import Summary


def _logger() -> Any:
    import logging

    return logging.getLogger("runcard")


def same_object(value: Any, memo: Any = None) -> Any:
    return value


# -- Run ---------------------------------------------------------------------------------
def run_reduce(run: Run) -> tuple[Any, tuple[Any, ...]]:
    identity = {
        "id": run.id,
        "name": run.name,
        "entity": run.entity,
        "project": run.project,
        "group": run.group,
        "job_type": run.job_type,
        "tags": run.tags,
        "notes": run.notes,
        "root": run._root,
    }
    config, summary = run.config, run.summary
    return rebuild_run, (
        (type(run), type(config), type(summary)),
        identity,
        config.as_dict(),
        summary.as_dict(),
        run.mode,
    )


def rebuild_run(
    classes: tuple[type[Run], type[Config], type[Summary]],
    identity: dict[str, Any],
    config: dict[str, Any],
    summary: dict[str, Any],
    mode: str,
) -> Run:
    """The unpickled run: the live run of that path and store in this process, else a disabled
    stand-in (its calls store nothing)."""
    from runcard._history_buffer import History
    from runcard._process import process

    path = f"{identity['entity']}/{identity['project']}/{identity['id']}"
    for live in process.live_runs:
        if (live.path, live._root) == (path, identity["root"]):
            return live
    if mode != "disabled":
        _logger().warning(
            "runcard: run %s was unpickled where it is not live: this copy is disabled and "
            "stores nothing",
            path,
        )
    run_class, config_class, summary_class = classes
    stand_in = unpickle_summary(summary_class, summary)
    return run_class(
        **identity,
        mode="disabled",
        config=unpickle_config(config_class, config, None, {}),
        summary=stand_in,
        history=History(stand_in._values, stand_in._pinned, keep_rows=False),
    )


# -- Config ------------------------------------------------------------------------------
def config_deepcopy(config: Config, memo: dict[int, Any]) -> Config:
    """A detached Config with the values, policy, locks, descriptions and provenance."""
    twin = unpickle_config(
        type(config),
        copy.deepcopy(config.as_dict(), memo),
        config._allow_val_change,
        config._descriptions,
    )
    twin._locked.update(config._locked)
    twin._revisions.extend(config._revisions)
    return twin


def config_reduce(config: Config) -> tuple[Any, tuple[Any, ...]]:
    values = (config.as_dict(), config._allow_val_change, dict(config._descriptions))
    return unpickle_config, (type(config), *values)


def unpickle_config(
    cls: type[Config],
    values: dict[str, Any],
    allow_val_change: bool | None,
    descriptions: dict[str, str],
) -> Config:
    config = cls(allow_val_change=allow_val_change)
    config._load(values)
    config._descriptions.update(descriptions)
    return config


# -- Summary -----------------------------------------------------------------------------
def summary_deepcopy(summary: Summary, memo: dict[int, Any]) -> Summary:
    return unpickle_summary(type(summary), copy.deepcopy(summary.as_dict(), memo))


def summary_reduce(summary: Summary) -> tuple[Any, tuple[Any, ...]]:
    return unpickle_summary, (type(summary), summary.as_dict())


def unpickle_summary(cls: type[Summary], values: dict[str, Any]) -> Summary:
    summary = cls()
    summary._load(values)
    return summary
