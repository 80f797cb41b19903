"""Stopping a function agent's run from hyperband's watch thread.

Python code cannot be stopped from another thread but by an exception raised in it: the watch
raises `Stopped` asynchronously in the thread that runs the function (CPython's
PyThreadState_SetAsyncExc). `catching()` makes sure one raised as the function returned never
escapes into the agent.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


class Stopped(BaseException):
    """Raised in a sweep function whose run hyperband stops (a BaseException: a function's
    `except Exception` does not swallow it)."""


def _raise(thread: int, exception: Any) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), exception)


def stopper() -> Callable[[], None]:
    """What stops the calling thread's function."""
    thread = threading.get_ident()
    return lambda: _raise(thread, ctypes.py_object(Stopped))


@contextlib.contextmanager
def catching(watch: Any) -> Iterator[None]:
    try:
        yield
    finally:
        if watch is not None:
            watch.close()
            if watch.stopped:  # raised or pending: the run was stopped either way
                _raise(threading.get_ident(), None)  # a pending one is cancelled
                raise Stopped
