"""What both sides of a Tune trial agree on: its run id, and which result values are metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping

from runcard import integration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INSTALL_HINT = 'pip install "runcard[ray]"'
SOURCE = "ray-tune"
# what Tune adds to every result: bookkeeping, not metrics (time_this_iter_s and
# time_total_s are kept: they are how long the trial took)
BOOKKEEPING = frozenset(
    {
        "config",
        "date",
        "done",
        "experiment_tag",
        "hostname",
        "iterations_since_restore",
        "node_ip",
        "pid",
        "should_checkpoint",
        "time_since_restore",
        "timestamp",
        "timesteps_since_restore",
        "training_iteration",
        "trial_id",
    }
)


def run_id(trial_id: str) -> str:
    """The run of trial `trial_id`: the driver's callback and the worker's `setup_runcard()`
    both open it."""
    return f"tune-{trial_id}"


def metrics(result: Mapping[str, Any]) -> dict[str, Any]:
    """The numbers of a Tune result (nested dicts as dotted keys), without Tune's bookkeeping."""
    values = {k: v for k, v in result.items() if k not in BOOKKEEPING}
    return {
        key: value
        for key, value in integration.flatten(values).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    }
