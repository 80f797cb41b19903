"""The wandb-style verbs: `init()`, `log()`, `finish()`, and `setup()`.

`init()` checks its arguments, picks what to do with a live run (the reinit policy), builds the
config (`_init_config`), creates the run in the store or continues it (`_resume`), and starts its
writer; the process state it registers the run with (exit hooks included) is `_process`.
"""

from __future__ import annotations

import os
import time

from runcard import _settings, _state, _sweep_state
from runcard._config import Config
from runcard._errors import RunNotFoundError, UsageError
from runcard._history_buffer import History
from runcard._host import host_metadata
from runcard._init_config import apply_init_config
from runcard._names import name_stem, new_run_id
from runcard._process import process
from runcard._resume import continue_stored_run
from runcard._run import Run
from runcard._sources import script_dir
from runcard._store import _fields, open_store
from runcard._summary import Summary
from runcard._writer import Writer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


def _logger() -> Any:
    import logging

    return logging.getLogger("runcard")


RESUME_VALUES = (None, False, True, "allow", "must", "never", "auto")


def init(
    project: str | None = None,
    entity: str | None = None,
    config: Any = None,
    name: str | None = None,
    id: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    tags: Iterable[str] | None = None,
    notes: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    mode: str | None = None,
    resume: bool | str | None = None,
    config_exclude_keys: Iterable[str] | None = None,
    config_include_keys: Iterable[str] | None = None,
    allow_val_change: bool | None = None,
    reinit: bool | str | None = None,
) -> Run:
    """Start a run and make it current. See the README for every argument.

    With a run already live, `reinit="finish_previous"` (the default, or True) finishes it
    first and says so in the log; `reinit="return_previous"` (or False) returns it instead,
    with this call's `config` merged into it (what framework adapters that start runs rely on,
    see `setup`); `reinit="create_new"` starts a run beside it and, as wandb does, leaves the
    current run (`runcard.run`, `runcard.log`, ...) as it was: log to the returned Run itself.
    """
    policy = _reinit_policy(reinit)
    previous = _state.current_run.get()
    if previous is not None and previous._finished:
        previous = None
    if policy == "create_new":
        previous = None
    if previous is not None and policy == "return_previous":
        _warn_ignored(previous, project=project, entity=entity, name=name, id=id, group=group)
        apply_init_config(
            previous.config,
            config,
            config_include_keys,
            config_exclude_keys,
            files=False,
            allow_val_change=allow_val_change,
        )
        return previous

    mode = mode or os.environ.get(_settings.ENV_MODE) or "online"
    if mode not in _settings.MODES:
        raise UsageError(f"init(mode={mode!r}): use one of {', '.join(_settings.MODES)}")
    if resume not in RESUME_VALUES:
        raise UsageError(f"init(resume={resume!r}): use 'allow', 'must', 'never' or None")
    if config_include_keys is not None and config_exclude_keys is not None:
        raise UsageError("init(): pass config_include_keys or config_exclude_keys, not both")
    if resume == "must" and not id:
        raise UsageError("init(resume='must') needs the id= of the run to continue")
    swept = _sweep_state.take() if mode != "disabled" else None
    if swept is not None:  # an agent's run: the sweep's project and run id win
        project, entity = swept["project"] or project, swept["entity"] or entity
        id = swept["run_id"] or id
    project = project or _settings.default_project()
    _check_name("project", project)
    entity = entity or _settings.default_entity()
    _check_name("entity", entity)
    if id is not None:
        _check_name("id", id)

    config_obj = Config(allow_val_change=allow_val_change)
    collected: list[Any] = []
    object.__setattr__(config_obj, "_sink", collected.extend)
    apply_init_config(config_obj, config, config_include_keys, config_exclude_keys)
    if swept is not None:  # after the script's defaults: the sweep's values win, locked
        config_obj.update_locked(swept["params"], user=swept["sweep_id"])

    identity: dict[str, Any] = {
        "id": id or new_run_id(),
        "name": name,
        "entity": entity,
        "project": project,
        "group": group,
        "job_type": job_type,
        "tags": tuple(str(t) for t in tags) if tags else (),
        "notes": notes,
        "mode": mode,
        "root": _settings.store_root(dir),
        "sweep": None if swept is None else swept["sweep_id"],
    }
    try:
        _fields.check_new(identity)
    except UsageError as exc:
        raise UsageError(f"init(): {exc}") from None
    if policy == "finish_previous":  # only now: a failing init() leaves the live runs alone
        _finish_previous(previous)
    summary = Summary()
    if mode == "disabled":
        identity["name"] = name or f"{name_stem()}-0"
        object.__setattr__(config_obj, "_sink", None)
        history = History(summary._values, summary._pinned, keep_rows=False)
        run = Run(**identity, config=config_obj, summary=summary, history=history)
    else:
        run = _stored_run(
            identity, config_obj, collected, summary, resume, allow_val_change, given_id=bool(id)
        )
    _make_current(run, current=policy != "create_new")
    return run


def _stored_run(
    identity: dict[str, Any],
    config: Config,
    revisions: list[Any],
    summary: Summary,
    resume: bool | str | None,
    allow_val_change: bool | None,
    given_id: bool,
) -> Run:
    """Create the run in the store, or continue the stored one (resume), and start its
    writer. `revisions` are the init-time config writes."""
    heartbeat = _settings.heartbeat_seconds()
    client = _server_client(identity)  # first: a bad RUNCARD_URL fails before anything starts
    store = open_store(identity["root"])
    entity, project, run_id = identity["entity"], identity["project"], identity["id"]
    host = host_metadata()
    existing = store.find_run(entity, project, run_id) if given_id else None  # a new id is new
    pk = None
    if existing is None and resume != "must":
        fields = _new_run_fields(identity, config, heartbeat, host)
        pk = store.create_run(fields, revisions)
        if pk is None:  # another process created it since the look above: this one joins it
            existing = store.find_run(entity, project, run_id)
        else:
            identity["name"] = fields["name"]  # create_run numbers a run given no name
    step = 0
    given = {f: identity[f] for f in ("tags", "notes", "group") if identity[f]}
    if existing is not None:
        pk, step, config, revisions = continue_stored_run(
            store,
            existing,
            identity,
            resume,
            config,
            revisions,
            summary,
            heartbeat,
            host,
            allow_val_change,
        )
    elif pk is None:
        store.close()
        raise RunNotFoundError(
            f"init(resume='must'): no run {entity}/{project}/{run_id} in {store.path}"
        )
    else:
        revisions = []
    history = History(summary._values, summary._pinned)
    writer = Writer(store, pk, heartbeat, history)
    run = Run(
        **identity,
        config=config,
        summary=summary,
        history=history,
        writer=writer,
        pusher=_start_pusher(client, identity),
        step=step,
        resumed=existing is not None,
    )
    if existing is not None and given:  # a continued run takes this init()'s tags, notes, group
        writer.put_fields({f: list(v) if f == "tags" else v for f, v in given.items()})
    if revisions:
        writer.put_config(revisions)
    start = script_dir()
    writer.put_host(lambda: process.git_facts_of(start))
    return run


def _finish_previous(previous: Run | None) -> None:
    """Finish the current run and, as wandb does, the reinit="create_new" runs beside it."""
    beside = [run for run in process.live_runs if run._beside]
    for run in [previous, *beside] if previous is not None else beside:
        _logger().warning("runcard: init() finishes the live run %s first", run.path)
        run.finish()


def _server_client(identity: dict[str, Any]) -> Any:
    """With RUNCARD_URL set, the client an online run is copied to the server with."""
    if identity["mode"] != "online" or not os.environ.get(_settings.ENV_URL):
        return None
    from runcard._sync import client_from_env

    return client_from_env()


def _start_pusher(client: Any, identity: dict[str, Any]) -> Any:
    if client is None:
        return None
    from runcard._sync import Pusher

    return Pusher(identity["root"], client, identity["entity"], identity["project"], identity["id"])


REINIT_POLICIES = ("finish_previous", "return_previous", "create_new")


def _warn_ignored(previous: Run, **identity: str | None) -> None:
    """A joining init() keeps the live run's identity: say which arguments it did not apply."""
    ignored = [
        f"{field}={value!r}"
        for field, value in identity.items()
        if value is not None and value != getattr(previous, field)
    ]
    if ignored:
        _logger().warning(
            "runcard: init() joined the live run %s (reinit='return_previous') and kept its "
            "identity; ignored %s",
            previous.path,
            ", ".join(ignored),
        )


def _reinit_policy(reinit: bool | str | None) -> str:
    if reinit is None:
        return process.reinit_default
    if reinit is True:
        return "finish_previous"
    if reinit is False:
        return "return_previous"
    if reinit in REINIT_POLICIES:
        return str(reinit)
    raise UsageError(f"init(reinit={reinit!r}): use one of {', '.join(REINIT_POLICIES)}")


def setup(reinit: str | None = None) -> str:
    """Set what `init()` does while a run is live, for this process; return the old setting.

    A framework adapter that starts a run around the user's code (the Hydra callback) calls
    `setup(reinit="return_previous")` so an `init()` in that code joins its run, and restores
    the old setting when its run ends."""
    previous = process.reinit_default
    if reinit is not None:
        process.reinit_default = _reinit_policy(reinit)
    return previous


def _new_run_fields(
    identity: dict[str, Any], config: Config, heartbeat: float, host: dict[str, Any]
) -> dict[str, Any]:
    """What `Store.create_run` takes."""
    return {
        **identity,
        "run_id": identity["id"],
        "name_stem": name_stem(),
        "created_at": time.time(),
        "heartbeat_interval": heartbeat,
        "descriptions": config._descriptions,
        "host": host,
    }


def _check_name(what: str, value: Any) -> None:
    if not isinstance(value, str) or not value or "/" in value or value != value.strip():
        raise UsageError(f"init({what}={value!r}): a {what} is a non-empty string without '/'")
    if what == "project":  # as wandb: names it refuses would not sync to it
        bad = sorted(set(value) & set(_PROJECT_FORBIDDEN))
        if bad:
            raise UsageError(
                f"init(project={value!r}): a project name cannot hold {' '.join(bad)} "
                f"(none of {_PROJECT_FORBIDDEN})"
            )
        if len(value) > _PROJECT_MAX:
            raise UsageError(
                f"init(project={value[:40]!r}...): a project name is at most {_PROJECT_MAX} "
                f"characters, this one has {len(value)}"
            )


_PROJECT_FORBIDDEN = "/\\#?%:"
_PROJECT_MAX = 128


def _make_current(run: Run, current: bool) -> None:
    """Register a live run; `current`: it becomes this context's current run (not so for
    reinit="create_new", whose run is only reached through its Run object)."""
    run._beside = not current
    if current:
        _state.current_run.set(run)
    process.add_live_run(run)


# -- module-level verbs ----------------------------------------------------------------------
def _require_run(verb: str) -> Run:
    run = _state.get_run()
    if run is None:
        raise UsageError(f"call runcard.init() before runcard.{verb}")
    return run


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """Log metrics to the current run (see `Run.log`)."""
    _require_run("log()").log(data, step=step, commit=commit)


def define_metric(name: str, *args: Any, **kwargs: Any) -> None:
    """Define a metric of the current run (see `Run.define_metric`)."""
    _require_run("define_metric()").define_metric(name, *args, **kwargs)


def finish(exit_code: int | None = None, *, state: str | None = None) -> None:
    """Finish the current run (see `Run.finish`); does nothing when there is none."""
    run = _state.get_run()
    if run is not None:
        run.finish(exit_code=exit_code, state=state)
