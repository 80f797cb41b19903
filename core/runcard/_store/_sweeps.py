"""Sweeps in the store: the sweep (spec, seed, state) and one row per claimed suggestion.

Agents coordinate through these tables alone, with no controller process. `claim` is one
write transaction (SQLite's BEGIN IMMEDIATE; PostgreSQL's row lock on the sweep's row), so
agents racing for the next suggestion take turns and never get the same slot. A slot whose run
crashed (its heartbeat went stale) is marked `crashed` and offered again, once.
"""

from __future__ import annotations

import time

from runcard._convert import loads
from runcard._errors import UsageError
from runcard._store._query import STALE_HEARTBEATS
from runcard._store._sql_read import marks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    # (spec, seed, slot, finished [(params, metric value)]) -> the slot's values, or None
    Suggest = Callable[[dict[str, Any], int, int, list[tuple[Any, float]]], Any]

SWEEP_STATES = ("running", "paused", "stopped", "cancelled", "finished")
SWEEP_COLUMNS = "sweep_id, entity, project, name, spec, seed, state, created_at"
# a claimed slot whose run never started (its agent died first) is crashed after this long
UNSTARTED_SECONDS = 600.0


class SweepTables:
    """The sweep methods of the SQL store (mixed into `_sql.SQLStore`)."""

    _for_update: str
    _writing: Any
    _reading: Any
    _json: Any

    def create_sweep(self, sweep: dict[str, Any]) -> None:
        """Store a new sweep: sweep_id, entity, project, name, spec, seed, created_at."""
        with self._writing() as db:
            db.execute(
                f"INSERT INTO sweeps ({SWEEP_COLUMNS}) VALUES ({marks(8)})",
                (
                    sweep["sweep_id"],
                    sweep["entity"],
                    sweep["project"],
                    sweep.get("name"),
                    self._json(sweep["spec"]),
                    sweep["seed"],
                    "running",
                    sweep["created_at"],
                ),
            )

    def find_sweep(self, sweep_id: str) -> dict[str, Any] | None:
        """The sweep, with `runs`: its claimed slots (run id, values, status, the run's state
        and metric value), in claim order."""
        with self._reading() as db:
            row = db.execute(
                f"SELECT {SWEEP_COLUMNS} FROM sweeps WHERE sweep_id = ?", (sweep_id,)
            ).fetchone()
            if row is None:
                return None
            sweep = _sweep(row)
            sweep["runs"] = _slots(db, sweep, time.time())
        return sweep

    def list_sweeps(self, project: str | None = None) -> list[dict[str, Any]]:
        with self._reading() as db:
            where, params = (" WHERE project = ?", (project,)) if project else ("", ())
            rows = db.execute(
                f"SELECT {SWEEP_COLUMNS} FROM sweeps{where} ORDER BY created_at", params
            ).fetchall()
            now = time.time()
            sweeps = [_sweep(row) for row in rows]
            for sweep in sweeps:
                sweep["runs"] = _slots(db, sweep, now)
        return sweeps

    def set_sweep_state(self, sweep_id: str, state: str) -> None:
        if state not in SWEEP_STATES:
            raise UsageError(f"sweep state {state!r}: use one of {', '.join(SWEEP_STATES)}")
        with self._writing() as db:
            changed = db.execute(
                "UPDATE sweeps SET state = ? WHERE sweep_id = ?", (state, sweep_id)
            ).rowcount
        if not changed:
            raise UsageError(f"no sweep {sweep_id!r} in this store")

    def claim_sweep_run(
        self, sweep_id: str, run_id: str, agent: str, suggest: Suggest
    ) -> dict[str, Any] | None:
        """Claim the sweep's next suggestion for a new run `run_id`: {slot, run_id, params,
        entity, project, spec}; None when the sweep is not running or has nothing left."""
        now = time.time()
        with self._writing() as db:
            row = db.execute(
                f"SELECT {SWEEP_COLUMNS} FROM sweeps WHERE sweep_id = ?{self._for_update}",
                (sweep_id,),
            ).fetchone()
            if row is None:
                raise UsageError(f"no sweep {sweep_id!r} in this store")
            sweep = _sweep(row)
            if sweep["state"] != "running":
                return None
            slots = _slots(db, sweep, now)
            retry = 0
            offered = _crashed_once(db, slots)
            if offered is not None:
                slot, params, retry = offered["slot"], offered["params"], 1
            else:
                slot = 1 + max((s["slot"] for s in slots), default=-1)
                cap = sweep["spec"].get("run_cap")
                done = [(s["params"], s["value"]) for s in slots if s["value"] is not None]
                params = (
                    None
                    if cap and slot >= cap
                    else suggest(sweep["spec"], sweep["seed"], slot, done)
                )
                if params is None:
                    db.execute(
                        "UPDATE sweeps SET state = 'finished' WHERE sweep_id = ?", (sweep_id,)
                    )
                    return None
            db.execute(
                "INSERT INTO sweep_runs (sweep_id, slot, run_id, params, agent, claimed_at,"
                " status, retry) VALUES (?, ?, ?, ?, ?, ?, 'claimed', ?)",
                (sweep_id, slot, run_id, self._json(params), agent, now, retry),
            )
        return {**sweep, "slot": slot, "run_id": run_id, "params": params}


def _sweep(row: Any) -> dict[str, Any]:
    names = SWEEP_COLUMNS.split(", ")
    sweep = dict(zip(names, row, strict=True))
    sweep["spec"] = _document(sweep["spec"])
    return sweep


def _document(value: Any) -> Any:
    return loads(value) if isinstance(value, str) else value


def _slots(db: Any, sweep: dict[str, Any], now: float) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT pk, slot, run_id, params, agent, claimed_at, status, retry FROM sweep_runs"
        " WHERE sweep_id = ? ORDER BY pk",
        (sweep["sweep_id"],),
    ).fetchall()
    names = ("pk", "slot", "run_id", "params", "agent", "claimed_at", "status", "retry")
    slots = [dict(zip(names, row, strict=True)) for row in rows]
    if not slots:
        return slots
    runs = {
        run_id: (state, beat, interval, _document(summary))
        for run_id, state, beat, interval, summary in db.execute(
            "SELECT run_id, state, heartbeat_at, heartbeat_interval, summary FROM runs"
            f" WHERE entity = ? AND project = ? AND run_id IN ({marks(len(slots))})",
            (sweep["entity"], sweep["project"], *(s["run_id"] for s in slots)),
        ).fetchall()
    }
    metric = sweep["spec"].get("metric")
    for slot in slots:
        slot["params"] = _document(slot["params"])
        found = runs.get(slot["run_id"])
        state = None if found is None else found[0]
        if (
            state == "running"
            and found is not None
            and found[1] < now - STALE_HEARTBEATS * found[2]
        ):
            state = "crashed"
        if found is None and now - slot["claimed_at"] > UNSTARTED_SECONDS:
            state = "crashed"
        slot["state"] = state
        value: Any = None
        if metric and found is not None and state in ("finished", "stopped"):
            value = found[3].get(metric["name"])
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        slot["value"] = float(value) if ok and value == value else None
    return slots


def _crashed_once(db: Any, slots: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Mark claimed slots whose run crashed; a slot crashed on its first try, to offer again."""
    for slot in slots:
        if slot["status"] == "claimed" and slot["state"] == "crashed":
            db.execute("UPDATE sweep_runs SET status = 'crashed' WHERE pk = ?", (slot["pk"],))
            slot["status"] = "crashed"
    retried = {s["slot"] for s in slots if s["retry"]}
    for slot in slots:
        if slot["status"] == "crashed" and slot["slot"] not in retried:
            return slot
    return None
