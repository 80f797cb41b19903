"""Hyperband early termination (`early_terminate: {type: hyperband, ...}`), as wandb defines it.

At each bracket (a history length, `_sweep_spec.brackets`) the threshold is the value that
the best 1/eta of the sweep's runs reached there; a running run whose best value so far is
worse than the threshold of the last bracket it passed is stopped: its state is `stopped`,
and the agent goes on to the next suggestion. An agent watches its own run (`Watch`).
"""

from __future__ import annotations

import math
import threading

from runcard._sweep_spec import brackets

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

POLL_SECONDS = 0.2


def should_stop(spec: dict[str, Any], own: list[float], others: list[list[float]]) -> bool:
    """Whether a running run with metric history `own` is stopped, given every run's history
    (`others`, its own included)."""
    sign = -1.0 if spec["metric"]["goal"] == "maximize" else 1.0
    histories = [[sign * v for v in h] for h in others if h]
    mine = [sign * v for v in own]
    eta = spec["early_terminate"]["eta"]
    passed = None
    for band in brackets(spec["early_terminate"]):
        if band >= len(mine):
            break
        values = sorted(h[band] for h in histories if len(h) > band)
        passed = values[int(len(values) / eta)] if values else math.inf
    return passed is not None and min(mine) > passed


def metric_history(store: Any, entity: str, project: str, run_id: str, key: str) -> list[float]:
    """The run's logged values of `key`, in order (numbers only)."""
    run = store.find_run(entity, project, run_id)
    if run is None:
        return []
    values: list[float] = []
    for _steps, _times, columns in store.history(run["pk"], [key], times=False):
        if key in columns:
            values.extend(v for v in columns[key][1] if isinstance(v, (int, float)) and v == v)
    return values


class Watch:
    """A thread that checks the claimed run against hyperband until `close()`, and calls
    `stop()` once when the run is to end."""

    def __init__(self, store: Any, claim: dict[str, Any], stop: Callable[[], None]) -> None:
        self.store, self.claim, self.stop = store, claim, stop
        self.stopped = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="runcard-hyperband", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        spec, claim = self.claim["spec"], self.claim
        key = spec["metric"]["name"]
        while not self._done.wait(POLL_SECONDS):
            sweep = self.store.find_sweep(claim["sweep_id"])
            ids = [slot["run_id"] for slot in sweep["runs"]] if sweep else []
            read = {
                run_id: metric_history(self.store, claim["entity"], claim["project"], run_id, key)
                for run_id in ids
            }
            own = read.get(claim["run_id"], [])
            if own and should_stop(spec, own, list(read.values())):
                self.stopped = True
                self.stop()
                return

    def close(self) -> None:
        self._done.set()
        self._thread.join()
