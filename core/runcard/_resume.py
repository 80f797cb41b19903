"""Continuing a stored run (`init(resume=...)`, or a run another process created first): its
config, summary and step as stored, with this `init()`'s config written over them."""

from __future__ import annotations

from runcard._config import Config
from runcard._convert import loads
from runcard._errors import UsageError
from runcard._init_config import replay

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._store import Store
    from runcard._summary import Summary


def continue_stored_run(
    store: Store,
    existing: dict[str, Any],
    identity: dict[str, Any],
    resume: bool | str | None,
    config: Config,
    revisions: list[Any],
    summary: Summary,
    heartbeat: float,
    host: dict[str, Any],
    allow_val_change: bool | None,
) -> tuple[int, int, Config, list[Any]]:
    """Reopen the stored run `existing` (a `Store.find_run` row) unless `resume` forbids it:
    its pk, the step its history continues at, its config with this init()'s revisions
    replayed over it, and the revisions that changed something. Its summary is loaded into
    `summary`, and its name, and its tags, notes and group where this init() gives none, into
    `identity`."""
    if resume in (None, False, "never"):
        store.close()
        raise UsageError(
            f"run {identity['entity']}/{identity['project']}/{identity['id']} already exists; "
            "pass resume='allow' or resume='must' to continue it, or choose another id"
        )
    pk = existing["pk"]
    store.reopen_run(pk, heartbeat, host)
    last_step = store.last_step(pk)
    step = 0 if last_step is None else last_step + 1
    identity["name"] = existing["name"]
    for field, column in (("tags", "tags"), ("notes", "notes"), ("group", "group_name")):
        if not identity[field]:  # what this init() gives wins (and is stored, see _session)
            stored = existing[column]
            identity[field] = tuple(stored) if field == "tags" else stored
    resumed = Config(allow_val_change=allow_val_change)
    resumed._load(loads(existing["config"]))
    resumed._descriptions.update(loads(existing["descriptions"]))
    changed: list[Any] = []
    object.__setattr__(resumed, "_sink", changed.extend)
    replay(resumed, revisions, config._descriptions)
    summary._load(loads(existing["summary"]))
    return pk, step, resumed, changed
