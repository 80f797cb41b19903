"""The current run: one ContextVar, so each thread and task sees the run it started. Everything
else runcard keeps for the whole process lives in `runcard._process`."""

from __future__ import annotations

import contextvars
import os

from runcard._process import process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runcard._run import Run

current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "runcard_run", default=None
)


def get_run() -> Run | None:
    """The current run; in a thread that never called `init()`, the newest live run that an
    `init()` made current (a `reinit="create_new"` run never is)."""
    run = current_run.get()
    if run is None:
        for live in reversed(process.live_runs):
            if not live._beside:
                return live
    return run


def _forget_current_run_in_forked_child() -> None:
    current_run.set(None)  # the parent's run: a forked child does not own it


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_current_run_in_forked_child)
