"""SIGKILL rows for `log(d, step=i)`, after the `log(d)` ones: what a kill loses at 2, 20, 300
and 5,000 calls/s (SPEC §5: everything logged more than 50 ms before the kill is stored).

A row's figure is its worst kill: the age at the kill of the oldest point logged but not stored
(0 when every logged point was stored). The child notes the time of each point it logged in a
shared file mapping, which SIGKILL leaves intact, so the parent knows every point that was
logged. At 2 calls/s the kill lands at a random phase of the 500 ms between two calls.
"""

from __future__ import annotations

import random
import signal
import time
from array import array
from pathlib import Path
from typing import Any

from benchmarks._harness import ChildError, Context, Figure, Sample, row
from benchmarks._rows import (
    KILL_AFTER_S,
    KILL_HEARTBEAT_S,
    _end,
    _first_difference,
    _open_run,
    _stored_run,
    _wait_ready,
)
from benchmarks._workloads import HEARTBEAT_ENV

STEP_KILL_RATES = (2, 20, 300, 5000)  # log(d, step=i) calls/s
STEP_KILLS_PER_REP = 2  # kills per rate: 2 x reps


def _lost_ms(store: Path, ready: dict[str, Any], killed_at: float, problems: list[str]) -> float:
    logged = array("d")
    logged.frombytes((store / "logged.bin").read_bytes())
    count = logged.index(0.0)  # the points logged: slot i holds the time of step i
    run = _open_run(store, ready["path"], problems, state=("running", "crashed"))
    rows = [] if run is None else run.history(pandas=False)
    ids = [r.get("i") for r in rows]
    if ids != list(range(len(rows))) or [r.get("_step") for r in rows] != ids:
        problems.append(
            f"run {ready['path']}: the {len(rows):,} rows stored after SIGKILL have gaps: "
            f"i {_first_difference(ids, list(range(len(rows))))}"
        )
    elif any(r.get("t") != logged[r["i"]] for r in rows if r["i"] < count):
        problems.append(f"run {ready['path']}: a stored row lacks its logged time")
    if len(rows) >= count:
        return 0.0
    return max(0.0, (killed_at - logged[len(rows)]) * 1e3)


def _kill_once(ctx: Context, rate: int, rng: random.Random, problems: list[str]) -> Sample:
    store = ctx.new_store("runcard")
    env = {HEARTBEAT_ENV: str(KILL_HEARTBEAT_S)}
    proc = ctx.spawn("runcard", "kill_log_step", store, str(rate), env=env)
    try:
        ready = _wait_ready(ctx, proc, store)
        time.sleep(rng.uniform(*KILL_AFTER_S))
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lost = _lost_ms(store, ready, killed_at, problems)
    finally:
        _end(proc)
    return Sample(lost, {**ready, "killed_at": killed_at}, store)


def _kill_step_row(rate: int) -> None:
    @row(
        f"kill_step_{rate}",
        f"log(d, step=i) lost to SIGKILL at {rate:,} calls/s, worst",
        unit="ms",
        target=50.0,
        stat=max,
    )
    def kill_step(ctx: Context, fig: Figure) -> None:
        kills = STEP_KILLS_PER_REP * ctx.reps
        fig.title = f"log(d, step=i) lost to SIGKILL at {rate:,} calls/s, worst of {kills} kills"
        rng = random.Random()
        result = fig.result("runcard")
        for _ in range(kills):
            try:
                result.samples.append(_kill_once(ctx, rate, rng, fig.problems))
            except ChildError as exc:
                raise ChildError(f"runcard SIGKILL child failed: {exc}") from exc
        # a killed run reads "crashed" once 3 heartbeats are missed
        last_kill = max(s.info["killed_at"] for s in result.samples)
        time.sleep(max(0.0, last_kill + 3 * KILL_HEARTBEAT_S + 0.5 - time.time()))
        for sample in result.samples:
            _stored_run(sample, fig.problems, state="crashed")


for _rate in STEP_KILL_RATES:
    _kill_step_row(_rate)
