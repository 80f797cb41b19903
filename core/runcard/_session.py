"""The wandb-style verbs: `init()`, `log()`, `finish()`, and the exit hooks that finish runs."""

from __future__ import annotations

import os
import sys
import time

from runcard import _settings, _state
from runcard._config import Config, key_path
from runcard._convert import loads
from runcard._errors import RunNotFoundError, UsageError
from runcard._history import History
from runcard._host import git_metadata, host_metadata
from runcard._inputs import sourced
from runcard._names import name_stem, new_run_id
from runcard._run import Run
from runcard._sources import file_sources, read_config_file, script_dir
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

    With a run already live, `reinit="finish_previous"` (the default) finishes it first and
    says so in the log; `reinit="return_previous"` returns it instead, with this call's
    `config` merged into it (what framework adapters that start runs rely on, see `setup`).
    """
    policy = _reinit_policy(reinit)
    previous = _state.current_run.get()
    if previous is not None and previous._finished:
        previous = None
    if previous is not None and policy == "return_previous":
        _warn_ignored(previous, project=project, entity=entity, name=name, id=id, group=group)
        _apply_init_config(
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
    project = project or os.environ.get(_settings.ENV_PROJECT) or _settings.DEFAULT_PROJECT
    _check_name("project", project)
    entity = entity or _settings.default_entity()
    _check_name("entity", entity)
    if id is not None:
        _check_name("id", id)

    config_obj = Config(allow_val_change=allow_val_change)
    collected: list[Any] = []
    object.__setattr__(config_obj, "_sink", collected.extend)
    _apply_init_config(config_obj, config, config_include_keys, config_exclude_keys)

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
    }
    try:
        _fields.check_new(identity)
    except UsageError as exc:
        raise UsageError(f"init(): {exc}") from None
    if previous is not None:  # only now: a failing init() leaves the current run alone
        _logger().warning("runcard: init() finishes the current run %s first", previous.path)
        previous.finish()
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
    _make_current(run)
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
    if existing is not None:
        if resume in (None, False, "never"):
            store.close()
            raise UsageError(
                f"run {entity}/{project}/{run_id} already exists; pass resume='allow' or "
                "resume='must' to continue it, or choose another id"
            )
        pk = existing["pk"]
        store.reopen_run(pk, heartbeat, host)
        last_step = store.last_step(pk)
        step = 0 if last_step is None else last_step + 1
        identity["name"] = existing["name"]
        resumed = Config(allow_val_change=allow_val_change)
        resumed._load(loads(existing["config"]))
        resumed._descriptions.update(loads(existing["descriptions"]))
        changed: list[Any] = []
        object.__setattr__(resumed, "_sink", changed.extend)
        _replay(resumed, revisions, config._descriptions)
        config, revisions = resumed, changed
        summary._load(loads(existing["summary"]))
    elif pk is None:
        store.close()
        raise RunNotFoundError(
            f"init(resume='must'): no run {entity}/{project}/{run_id} in {store.path}"
        )
    else:
        revisions = []
    history = History(summary._values, summary._pinned)
    writer = Writer(store, pk, heartbeat, history)
    pusher = _start_pusher(client, identity)
    run = Run(
        **identity,
        config=config,
        summary=summary,
        history=history,
        writer=writer,
        pusher=pusher,
        step=step,
    )
    if revisions:
        writer.put_config(revisions)
    start = script_dir()
    writer.put_host(lambda: _safe_git(start))
    return run


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


def _apply_init_config(
    config: Config,
    value: Any,
    include: Iterable[str] | None,
    exclude: Iterable[str] | None,
    files: bool = True,
    allow_val_change: bool | None = True,
) -> None:
    """Write the config sources in precedence order: files, then init(config=), then filters.
    A new run takes them silently (allow_val_change=True); a run joined with
    reinit="return_previous" takes only init(config=), under its own policy."""
    groups: list[tuple[str, str | None, dict[Any, Any], dict[str, str]]] = []
    if files:
        if _state.argv_config_error is not None:
            raise _state.argv_config_error
        groups.extend(file_sources(_state.argv_config_paths))
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        groups.append(("init", path, *read_config_file(path)))
    elif value is not None:
        groups.extend(sourced(value, "init"))
    keep = set(include) if include is not None else None
    drop = set(exclude) if exclude is not None else set()
    for source, detail, values, descriptions in groups:
        chosen = {k: v for k, v in values.items() if (keep is None or k in keep) and k not in drop}
        config._write(chosen, source, detail=detail, allow_val_change=allow_val_change)
        config._descriptions.update({k: d for k, d in descriptions.items() if k in chosen})


def _replay(config: Config, revisions: list[Any], descriptions: dict[str, str]) -> None:
    """Apply init-time revisions to a resumed run's config: unchanged values record nothing."""
    for key, value, source, detail, _step, _time in revisions:
        path = key_path(key)
        nested: Any = value
        for part in reversed(path[1:]):
            nested = {part: nested}
        config._write({path[0]: nested}, source, detail=detail, allow_val_change=True)
    config._descriptions.update(descriptions)


REINIT_POLICIES = ("finish_previous", "return_previous")


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
        return _state.reinit_default
    if reinit is True:
        return "finish_previous"
    if reinit in REINIT_POLICIES:
        return str(reinit)
    raise UsageError(f"init(reinit={reinit!r}): use one of {', '.join(REINIT_POLICIES)}")


def setup(reinit: str | None = None) -> str:
    """Set what `init()` does while a run is live, for this process; return the old setting.

    A framework adapter that starts a run around the user's code (the Hydra callback) calls
    `setup(reinit="return_previous")` so an `init()` in that code joins its run, and restores
    the old setting when its run ends."""
    previous = _state.reinit_default
    if reinit is not None:
        _state.reinit_default = _reinit_policy(reinit)
    return previous


def _safe_git(start: str) -> dict[str, Any]:
    """Git facts of the script's work tree, read once per process: the code a process runs is
    the code it imported, so every later run in it (a fit per run, a sweep) reuses them."""
    facts = _state.git_facts.get(start)
    if facts is None:
        try:
            facts = git_metadata(start)
        except Exception as exc:  # metadata must never cost the run
            _logger().debug("runcard: git metadata unavailable: %s", exc)
            facts = {}
        _state.git_facts[start] = facts
    return dict(facts)


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


# -- current run, exit hooks ---------------------------------------------------------------
def _make_current(run: Run) -> None:
    _state.current_run.set(run)
    _state.live_runs.append(run)
    if not _state.exit_hooks_installed:
        _state.exit_hooks_installed = True
        _install_exit_hooks()


def _install_exit_hooks() -> None:
    import atexit
    import signal
    import threading

    atexit.register(_at_exit)
    previous_hook = sys.excepthook

    def excepthook(kind: Any, exc: Any, tb: Any) -> None:
        _finish_live_runs(exit_code=1)
        previous_hook(kind, exc, tb)

    sys.excepthook = excepthook
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):  # not the main interpreter, or no signals here
            pass


def _finish_live_runs(exit_code: int = 0) -> None:
    for run in list(reversed(_state.live_runs)):
        try:
            run.finish(exit_code=exit_code)
        except Exception as exc:
            _logger().error("runcard: could not finish run %s at exit: %s", run.path, exc)


def _at_exit() -> None:
    """Finish live runs, then wait for writer threads still closing their store: a thread
    inside SQLite when the interpreter tears down can crash it."""
    _finish_live_runs()
    for thread in list(_state.writer_threads):
        thread.join(timeout=30)
    while _state.store_keepers:  # the last close checkpoints the WAL into the database
        connection, _ = _state.store_keepers.popitem()[1]
        connection.close()


def _on_sigterm(signum: int, frame: Any) -> None:
    import signal

    _finish_live_runs(exit_code=128 + signum)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


# -- module-level verbs ----------------------------------------------------------------------
def _require_run(verb: str) -> Run:
    run = _state.get_run()
    if run is None:
        raise UsageError(f"call runcard.init() before runcard.{verb}")
    return run


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """Log metrics to the current run (see `Run.log`)."""
    _require_run("log()").log(data, step=step, commit=commit)


def finish(exit_code: int | None = None) -> None:
    """Finish the current run; does nothing when there is none."""
    run = _state.get_run()
    if run is not None:
        run.finish(exit_code=exit_code)
