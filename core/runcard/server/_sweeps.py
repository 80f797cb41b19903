"""`/api/v1/sweeps/<method>`: sweeps kept in the server's store, for agents on many machines.

The server checks the spec again (a bad one is a 400 naming the key) and makes each suggestion
inside the store's claim transaction (`Store.claim_sweep_run`), so agents on different
machines never get the same slot.
"""

from __future__ import annotations

from runcard import _sweep, _sweep_spec
from runcard.server._parse import field, integer, optional, text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _create(store: Any, body: dict[str, Any]) -> None:
    sweep = field(body, "sweep", dict)
    record = {
        "sweep_id": text(sweep, "sweep_id"),
        "entity": text(sweep, "entity"),
        "project": text(sweep, "project"),
        "name": optional(sweep, "name", str),
        "spec": _sweep_spec.parse(field(sweep, "spec", dict)),
        "seed": integer(sweep, "seed", 0),
        "created_at": float(field(sweep, "created_at", (int, float))),
    }
    store.create_sweep(record)


CALLS = {
    "create": _create,
    "find": lambda s, b: s.find_sweep(text(b, "sweep_id")),
    "list": lambda s, b: s.list_sweeps(optional(b, "project", str)),
    "state": lambda s, b: s.set_sweep_state(text(b, "sweep_id"), text(b, "state")),
    "claim": lambda s, b: s.claim_sweep_run(
        text(b, "sweep_id"), text(b, "run_id"), text(b, "agent"), _sweep.suggest
    ),
}
