"""The process state runcard keeps: the current run (one ContextVar) and the live runs that
exit hooks must finish. Nothing else in runcard is module-level mutable state."""

from __future__ import annotations

import contextvars
import os
import sys
import threading

from runcard._errors import ConfigFileError
from runcard._sources import pop_configs_argument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._run import Run

current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "runcard_run", default=None
)

# Runs started and not yet finished, oldest first: exit hooks finish them, and a thread that
# never saw `init()` (threads start with an empty context) logs to the newest.
live_runs: list[Run] = []

# Git commit and dirty flag by script directory, read once per process (see _session._safe_git).
git_facts: dict[str, dict[str, Any]] = {}

# An idle SQLite connection per store recently written, and the file's identity, by path (see
# _store._sqlite._keep).
store_keepers: dict[str, Any] = {}
store_keepers_lock = threading.Lock()

# Writer threads that may still be running; the exit hook waits for them (see _session._at_exit).
writer_threads: list[threading.Thread] = []

# What init() does while a run is live, unless told: see runcard.setup().
reinit_default = "finish_previous"

# Taken once, by the first init(): atexit, sys.excepthook and SIGTERM then finish live runs.
exit_hooks_installed = False

# `--configs` is taken off sys.argv when runcard is imported, before the script's argparse runs;
# a malformed flag is reported by init(), not by the import.
argv_config_error: ConfigFileError | None = None
try:
    argv_config_paths: list[str] | None = pop_configs_argument(sys.argv)
except ConfigFileError as _error:
    argv_config_paths, argv_config_error = None, _error


def _forget_runs_in_forked_child() -> None:
    """A forked child (a DataLoader worker, a multiprocessing pool) does not own its parent's
    runs: it has no writer thread, and its exit must not finish them."""
    live_runs.clear()
    writer_threads.clear()
    global store_keepers_lock
    store_keepers.clear()  # the parent's connections: never used here
    store_keepers_lock = threading.Lock()  # another thread may have held it at the fork
    current_run.set(None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_runs_in_forked_child)


def get_run() -> Run | None:
    run = current_run.get()
    if run is None and live_runs:
        return live_runs[-1]
    return run
