"""The sweep run an agent is about to start, for the next `init()` in this process to take.

A function agent (`runcard.agent(id, function=...)`) sets it in the process; a program agent
(`runcard agent ID`) passes it to the program in RUNCARD_SWEEP_ID, RUNCARD_SWEEP_RUN and
RUNCARD_SWEEP_PARAMS (JSON). The first `init()` takes it: that run gets the id, project and
locked config values of the sweep's suggestion.
"""

from __future__ import annotations

import json
import os

from runcard import _settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_pending: dict[str, Any] | None = None
_env_taken = False


def offer(claim: dict[str, Any] | None) -> None:
    """Make `claim` (sweep_id, run_id, entity, project, params) the next init()'s run."""
    global _pending
    _pending = claim


def take() -> dict[str, Any] | None:
    """The sweep run for this init(), once; None outside an agent."""
    global _pending, _env_taken
    if _pending is not None:
        claim, _pending = _pending, None
        return claim
    if _env_taken or not os.environ.get(_settings.ENV_SWEEP_ID):
        return None
    _env_taken = True
    try:
        params = json.loads(os.environ.get(_settings.ENV_SWEEP_PARAMS) or "{}")
    except ValueError:
        params = {}
    return {
        "sweep_id": os.environ[_settings.ENV_SWEEP_ID],
        "run_id": os.environ.get(_settings.ENV_SWEEP_RUN) or None,
        "entity": os.environ.get(_settings.ENV_ENTITY) or None,
        "project": os.environ.get(_settings.ENV_PROJECT) or None,
        "params": params if isinstance(params, dict) else {},
    }
