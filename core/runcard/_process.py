"""Everything runcard keeps for the whole process, in one object: `process`.

- `live_runs`: runs started and not yet finished, oldest first. The exit hooks finish them, and
  a thread that never saw `init()` (threads start with an empty context) logs to the newest.
- `writer_threads`: writer threads that may still be running; the exit hook waits for them.
- `reinit_default`: what `init()` does while a run is live, unless told (`runcard.setup()`).
- `git_facts`: the script's git commit and dirty flag, read once per script directory.
- `kept_connections`: idle store connections kept between runs (`runcard._kept_connections`).
- `argv_config_paths` / `argv_config_error`: the `--configs` flag, taken off `sys.argv` when
  `runcard` is imported (before the script's argparse runs); a malformed flag is reported by
  `init()`, not by the import.
- the exit hooks: taken by the first run; atexit, `sys.excepthook` and SIGTERM then finish the
  live runs. A forked child forgets its parent's runs, threads and connections.

The current run of a thread or task is not here: it is a ContextVar (`runcard._state`).
"""

from __future__ import annotations

import os
import sys
import threading

from runcard._errors import ConfigFileError
from runcard._host import git_metadata
from runcard._kept_connections import kept_connections
from runcard._sources import pop_configs_argument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._run import Run


def _logger() -> Any:
    import logging  # not at import: `import runcard` stays light

    return logging.getLogger("runcard")


class Process:
    """The process-wide state of runcard (see the module docstring); one instance, `process`."""

    def __init__(self) -> None:
        self.live_runs: list[Run] = []
        self.writer_threads: list[threading.Thread] = []
        self.reinit_default = "finish_previous"
        self.git_facts: dict[str, dict[str, Any]] = {}
        self.kept_connections = kept_connections
        self.argv_config_paths: list[str] | None = None
        self.argv_config_error: ConfigFileError | None = None
        self.exit_hooks_installed = False

    # -- the --configs flag --------------------------------------------------------------------
    def take_configs_argument(self, argv: list[str]) -> None:
        """Take `--configs` off `argv` (in place), keeping its paths, or the error to report
        at `init()`."""
        try:
            self.argv_config_paths = pop_configs_argument(argv)
        except ConfigFileError as error:
            self.argv_config_paths, self.argv_config_error = None, error

    # -- runs and threads ------------------------------------------------------------------------
    def add_live_run(self, run: Run) -> None:
        """A run just started; the first one installs the exit hooks."""
        self.live_runs.append(run)
        if not self.exit_hooks_installed:
            self.exit_hooks_installed = True
            self._install_exit_hooks()

    def remove_live_run(self, run: Run) -> None:
        if run in self.live_runs:
            self.live_runs.remove(run)

    def add_writer_thread(self, thread: threading.Thread) -> None:
        threads = self.writer_threads
        threads[:] = [t for t in threads if t.is_alive()]
        threads.append(thread)

    def git_facts_of(self, start: str) -> dict[str, Any]:
        """Git facts of the work tree holding `start`, read once per process: the code a process
        runs is the code it imported, so every later run in it (a fit per run, a sweep) reuses
        them. Never raises: metadata must never cost the run."""
        facts = self.git_facts.get(start)
        if facts is None:
            try:
                facts = git_metadata(start)
            except Exception as exc:
                _logger().debug("runcard: git metadata unavailable: %s", exc)
                facts = {}
            self.git_facts[start] = facts
        return dict(facts)

    # -- exit hooks ------------------------------------------------------------------------------
    def _install_exit_hooks(self) -> None:
        import atexit
        import signal

        atexit.register(self.at_exit)
        previous_hook = sys.excepthook

        def excepthook(kind: Any, exc: Any, tb: Any) -> None:
            self.finish_live_runs(exit_code=1)
            previous_hook(kind, exc, tb)

        sys.excepthook = excepthook
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                    signal.signal(signal.SIGTERM, self._on_sigterm)
            except (ValueError, OSError):  # not the main interpreter, or no signals here
                pass

    def finish_live_runs(self, exit_code: int = 0) -> None:
        for run in list(reversed(self.live_runs)):
            try:
                run.finish(exit_code=exit_code)
            except Exception as exc:
                _logger().error("runcard: could not finish run %s at exit: %s", run.path, exc)

    def at_exit(self) -> None:
        """Finish live runs, then wait for writer threads still closing their store: a thread
        inside SQLite when the interpreter tears down can crash it."""
        self.finish_live_runs()
        for thread in list(self.writer_threads):
            thread.join(timeout=30)
        self.kept_connections.close_all()

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        import signal

        self.finish_live_runs(exit_code=128 + signum)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def forget_in_forked_child(self) -> None:
        """A forked child (a DataLoader worker, a multiprocessing pool) does not own its parent's
        runs: it has no writer thread, and its exit must not finish them."""
        self.live_runs.clear()
        self.writer_threads.clear()
        self.kept_connections.forget()


process = Process()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=process.forget_in_forked_child)
