"""`runcard.sweep()` and `runcard.agent()`: wandb's sweeps, coordinated through the store.

`sweep()` checks the spec (`_sweep_spec`) and stores it. `agent()` claims the sweep's next
suggestion (`Store.claim_sweep_run`, one transaction) and runs it: a function in this process,
whose first `init()` takes the suggestion (`_sweep_state`), or the spec's program
(`_sweep_program`); then the next, until the sweep has nothing left or `count` runs are done.
With RUNCARD_URL set, sweeps live on that `runcard server` instead of the local store.
"""

from __future__ import annotations

import os
import time

from runcard import _settings, _state, _sweep_state
from runcard._errors import UsageError
from runcard._names import new_run_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def coordinator(dir: str | None = None) -> Any:
    """Where sweeps are kept: the `runcard server` at RUNCARD_URL, else the store."""
    if os.environ.get(_settings.ENV_URL):
        from runcard._store._http_sweeps import RemoteSweeps
        from runcard._sync import client_from_env

        client = client_from_env()
        if client is not None:
            return RemoteSweeps(client)
    from runcard._store import open_store

    return open_store(_settings.store_root(dir))


def sweep(
    sweep: Any, project: str | None = None, entity: str | None = None, *, dir: str | None = None
) -> str:
    """Check and store a sweep (a dict, or the path of wandb's YAML); return its id.

    A spec that cannot work is a UsageError naming the key, before any run starts."""
    import secrets  # here: it loads hashlib, which a plain run does without

    from runcard import _sweep_spec

    spec = _sweep_spec.parse(sweep)
    if spec["method"] == "bayes":
        from runcard import _sweep_bayes

        _sweep_bayes.check(spec)
    sweep_id = new_run_id()
    seed = spec.get("seed")
    record = {
        "sweep_id": sweep_id,
        "entity": entity or spec.get("entity") or _settings.default_entity(),
        "project": project or spec.get("project") or _settings.default_project(),
        "name": spec.get("name"),
        "spec": spec,
        "seed": secrets.randbelow(2**31) if seed is None else seed,
        "created_at": time.time(),
    }
    store = coordinator(dir)
    try:
        store.create_sweep(record)
    finally:
        store.close()
    return sweep_id


def agent(
    sweep_id: str,
    function: Callable[[], Any] | None = None,
    count: int | None = None,
    project: str | None = None,
    entity: str | None = None,
    *,
    dir: str | None = None,
) -> int:
    """Run the sweep's suggestions one after another: `function()` (which calls
    `runcard.init()`), or without one, the spec's `program`. Stops after `count` runs, or when
    the sweep has nothing left or is stopped; returns the number of runs started. A sweep id
    names one sweep in the store: `project`, when given, is checked against the sweep's, and
    `entity` is taken for wandb's signature (the runs go to the sweep's entity)."""
    if count is not None and (type(count) is not int or count < 1):
        raise UsageError(f"agent(count={count!r}): a positive integer")
    import socket

    store = coordinator(dir)
    name = f"{socket.gethostname()}:{os.getpid()}"
    started = 0
    try:
        while count is None or started < count:
            claim = store.claim_sweep_run(sweep_id, new_run_id(), name, suggest)
            if claim is None:
                break
            if project is not None and claim["project"] != project:
                raise UsageError(f"agent(): sweep {sweep_id} is in project {claim['project']!r}")
            started += 1
            if function is not None:
                _run_function(store, claim, function)
            else:
                _run_program(store, claim, _settings.store_root(dir))
    finally:
        store.close()
    return started


def sweeps(project: str | None = None, *, dir: str | None = None) -> list[dict[str, Any]]:
    """The sweeps (of `project`), each with its claimed runs (`Store.find_sweep`)."""
    store = coordinator(dir)
    try:
        return list(store.list_sweeps(project))
    finally:
        store.close()


def set_state(sweep_id: str, state: str, *, dir: str | None = None) -> None:
    """Stop, cancel, pause or resume a sweep: agents claim only from a running one."""
    store = coordinator(dir)
    try:
        store.set_sweep_state(sweep_id, state)
    finally:
        store.close()


def suggest(spec: dict[str, Any], seed: int, slot: int, done: list[Any]) -> Any:
    """The values of the sweep's slot number `slot` (None when a grid is exhausted)."""
    from runcard import _sweep_search

    if spec["method"] == "grid":
        return _sweep_search.grid_point(spec, slot)
    if spec["method"] == "random":
        return _sweep_search.random_point(spec, seed, slot)
    from runcard import _sweep_bayes

    return _sweep_bayes.bayes_point(spec, seed, slot, done)


def _watch(store: Any, claim: dict[str, Any], stop: Callable[[], None]) -> Any:
    """Hyperband's watch over the claimed run, when the sweep terminates runs early."""
    if not claim["spec"].get("early_terminate"):
        return None
    from runcard._sweep_hyperband import Watch

    return Watch(store, claim, stop)


def _run_function(store: Any, claim: dict[str, Any], function: Callable[[], Any]) -> None:
    """Run `function` for the claimed suggestion; its failure fails its run, not the agent."""
    from runcard import _sweep_stop

    _sweep_state.offer(claim)
    exit_code, state = 0, None
    watch = _watch(store, claim, _sweep_stop.stopper())
    try:
        with _sweep_stop.catching(watch):
            function()
    except _sweep_stop.Stopped:
        state = "stopped"
    except Exception:
        import logging

        logging.getLogger("runcard").exception("runcard: sweep run %s failed", claim["run_id"])
        exit_code = 1
    finally:
        _sweep_state.offer(None)
        run = _state.get_run()
        if run is not None and run.id == claim["run_id"]:
            run.finish(exit_code=exit_code, state=state)


def _run_program(store: Any, claim: dict[str, Any], root: str) -> None:
    """Run the spec's program for the claimed suggestion; a hyperband stop ends it (SIGTERM)
    and marks its run stopped."""
    from runcard._sweep_program import start_program

    process = start_program(claim, root)
    watch = _watch(store, claim, process.terminate)
    try:
        code = process.wait()
    finally:
        if watch is not None:
            watch.close()
    if watch is not None and watch.stopped:
        found = store.find_run(claim["entity"], claim["project"], claim["run_id"])
        if found is not None:
            store.finish_run(found["pk"], "stopped", code)
