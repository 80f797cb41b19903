"""The rows of the table, one small function each, in SPEC §9's order.

A row function times a workload with `ctx.measure(fig, workload, ...)` (runcard and the installed
peers, fresh processes, taking turns) and appends to `fig.problems` whatever it finds wrong with
runcard's data. To add a row: write the child side in `_workloads.py`, then a function here.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._harness import (
    CHILD_TIMEOUT_S,
    ChildError,
    Context,
    Figure,
    Sample,
    ToolResult,
    num,
    row,
    runcard_store,
    store_bytes,
)
from benchmarks._workloads import (
    HEARTBEAT_ENV,
    KEYS5,
    KILL_RATE,
    config20,
    five_columns,
    history_digest,
    history_rows,
)

CONFIG_UPDATES = 1000
# (full run, --quick): counts that keep the quick run short
LOG_CALLS = (100_000, 20_000)
COST_CALLS = (50_000, 20_000)
RSS_CALLS = (50_000, 50_000)
RSS_LONG_CALLS = (1_000_000, 200_000)
RSS_FULL_CALLS = (1_000_000, 100_000)  # the store unwritable: past what may wait in memory
HISTORY_ROWS, HISTORY_KEYS = 50_000, 5  # 250k values
METRIC_POINTS = (1_000_000, 200_000)  # one key
CREATED_RUNS = (10_000, 500)
KILLS_PER_REP = 4  # SIGKILLs per tool: 4 x reps
KILL_AFTER_S = (0.5, 1.0)  # a random moment in this window after logging starts
KILL_HEARTBEAT_S = 0.5  # so the killed run reads "crashed" 1.5 s later, not 30 s


def _count(ctx: Context, counts: tuple[int, int]) -> int:
    return counts[1] if ctx.quick else counts[0]


def _k(count: int) -> str:
    """1M, 50k, 1,234."""
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count % 1000 == 0:
        return f"{count // 1000}k"
    return f"{count:,}"


def _same(a: Any, b: Any) -> bool:
    """Equal with types kept (2.0 is not 2)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _stored_run(
    sample: Sample, problems: list[str], *, state: str | tuple[str, ...] = "finished"
) -> Any:
    """The run a runcard child created, read back through the public Api, or None."""
    return _open_run(sample.store, str(sample.info.get("path")), problems, state=state)


def _open_run(
    store: Path, path: str, problems: list[str], *, state: str | tuple[str, ...] = "finished"
) -> Any:
    import runcard

    try:
        run = runcard.Api(dir=str(runcard_store(store))).run(path)
    except runcard.Error as exc:
        problems.append(f"run {path} not readable through Api: {type(exc).__name__}: {exc}")
        return None
    states = (state,) if isinstance(state, str) else state
    if run.state not in states:
        expected = " or ".join(repr(s) for s in states)
        problems.append(f"run {path}: state {run.state!r}, expected {expected}")
    return run


def _first_difference(got: list[Any], want: list[Any]) -> str:
    for i, (a, b) in enumerate(zip(got, want)):  # noqa: B905
        if not _same(a, b):
            return f"[{i}] = {a!r}, expected {b!r}"
    return f"{len(got):,} entries, expected {len(want):,}"


def _check_five(samples: list[Sample], count: int, problems: list[str]) -> None:
    """Each run holds calls 0..count-1 of the log workloads, key by key, read through the Api."""
    want = five_columns(count)
    steps_want = list(range(count))
    for sample in samples:
        run = _stored_run(sample, problems)
        if run is None:
            continue
        for key in KEYS5:
            steps, values = run.metric(key)
            if steps != steps_want:
                problems.append(
                    f"run {run.path}: steps of {key!r}: {_first_difference(steps, steps_want)}"
                )
            elif values != want[key] or not all(type(v) is float for v in values):
                problems.append(f"run {run.path}: {key!r}: {_first_difference(values, want[key])}")


def _digest_of(rows: Iterator[dict[str, float]]) -> str:
    return history_digest((step, *row.values()) for step, row in enumerate(rows))


def _check_config(
    path: str, got: dict[str, Any], want: dict[str, Any], problems: list[str]
) -> None:
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = sorted(k for k in set(want) & set(got) if not _same(got[k], want[k]))
    if missing:
        problems.append(f"run {path}: config keys missing: {missing[:5]} ({len(missing)} in all)")
    if extra:
        problems.append(f"run {path}: unexpected config keys: {extra[:5]}")
    for key in wrong[:3]:
        problems.append(f"run {path}: config[{key!r}] = {got[key]!r}, expected {want[key]!r}")


def _check_init_runs(samples: list[Sample], problems: list[str]) -> None:
    want = config20()
    for sample in samples:
        run = _stored_run(sample, problems)
        if run is not None:
            _check_config(run.path, run.config, want, problems)


@row("import", "import runcard", unit="ms", target=20.0)
def import_time(ctx: Context, fig: Figure) -> None:
    ctx.measure(fig, "import", fresh_store=True)


@row(
    "init_finish",
    "init+finish, 20-key config, store exists",
    unit="ms",
    target=5.0,
)
def init_finish(ctx: Context, fig: Figure) -> None:
    _check_init_runs(ctx.measure(fig, "init_finish"), fig.problems)


@row(
    "init_finish_new_store",
    "init+finish, 20-key config, new store",
    unit="ms",
    target=20.0,
)
def init_finish_new_store(ctx: Context, fig: Figure) -> None:
    _check_init_runs(ctx.measure(fig, "init_finish", fresh_store=True), fig.problems)


@row(
    "log_rate",
    "log() of 5 floats, calls/s incl. finish",
    unit="calls/s",
    target=390_000,
    at_least=True,
)
def log_rate(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, LOG_CALLS)
    fig.title = f"log() of 5 floats, calls/s incl. finish ({_k(count)} calls)"
    _check_five(ctx.measure(fig, "log_rate", str(count)), count, fig.problems)


@row(
    "log_rate_step",
    "log(d, step=i) of 5 floats, calls/s incl. finish",
    unit="calls/s",
    target=390_000,
    at_least=True,
)
def log_rate_step(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, LOG_CALLS)
    fig.title = f"log(d, step=i) of 5 floats, calls/s incl. finish ({_k(count)} calls)"
    _check_five(ctx.measure(fig, "log_rate_step", str(count)), count, fig.problems)


@row("log_cost", "log() median cost on the calling thread", unit="us", target=1.0)
def log_cost(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, COST_CALLS)
    fig.title = f"log() median cost on the calling thread ({_k(count)} calls)"
    _check_five(ctx.measure(fig, "log_cost", str(count)), count, fig.problems)
    tails = []
    for tool, result in fig.tools.items():
        if result.samples:
            p99 = statistics.median(s.info["p99_us"] for s in result.samples)
            longest = max(s.info["max_ms"] for s in result.samples)
            tails.append(f"{tool} {num(p99)} us / {num(longest)} ms")
    ctx.note(
        "log() on the calling thread, p99 (median of processes) / longest call: " + "; ".join(tails)
    )


@row("log_cost_step", "log(d, step=i) median cost on the calling thread", unit="us", target=0.5)
def log_cost_step(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, COST_CALLS)
    fig.title = f"log(d, step=i) median cost on the calling thread ({_k(count)} calls)"
    _check_five(ctx.measure(fig, "log_cost_step", str(count)), count, fig.problems)


@row("log_rss", "peak RSS for log() calls", unit="MiB", target=40.0)
def log_rss(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, RSS_CALLS)
    fig.title = f"peak RSS for {_k(count)} log() calls"
    _check_five(ctx.measure(fig, "log_rss", str(count)), count, fig.problems)
    ctx.shared["rss"] = (count, fig.value)


@row("log_rss_long", "peak RSS for log() calls, long run", unit="MiB", target=40.0)
def log_rss_long(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, RSS_LONG_CALLS)
    fig.title = f"peak RSS for {_k(count)} log() calls (flat)"
    _check_five(ctx.measure(fig, "log_rss", str(count), peers=False), count, fig.problems)
    short, short_rss = ctx.shared.get("rss", (None, None))
    if short_rss is not None and fig.value is not None:
        ctx.note(
            f"runcard peak RSS: {num(short_rss)} MiB for {_k(short)} log() calls, "
            f"{num(fig.value)} MiB for {_k(count)} ({fig.value - short_rss:+.1f} MiB)"
        )


@row("log_rss_disk_full", "peak RSS for log() calls, disk full", unit="MiB", target=40.0)
def log_rss_disk_full(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, RSS_FULL_CALLS)
    fig.title = f"peak RSS for {_k(count)} log() calls, store unwritable"
    for sample in ctx.measure(fig, "log_rss_disk_full", str(count), fresh_store=True, peers=False):
        if "history rows" not in sample.info.get("reported", ""):
            fig.problems.append(f"finish() did not report the rows lost: {sample.info}")
        run = _stored_run(sample, fig.problems, state="failed")
        if run is not None and "lost_writes" not in run.metadata:
            fig.problems.append(f"run {run.path}: no lost_writes in its metadata")


@row(
    "config_update",
    f"config update ({CONFIG_UPDATES:,} per run, incl. finish)",
    unit="us",
    target=5.0,
)
def config_update(ctx: Context, fig: Figure) -> None:
    samples = ctx.measure(fig, "config_updates", str(CONFIG_UPDATES))
    half = CONFIG_UPDATES // 2
    want = {**config20(), **{f"k{i}": i + half for i in range(half)}}
    for sample in samples:
        run = _stored_run(sample, fig.problems)
        if run is None:
            continue
        _check_config(run.path, run.config, want, fig.problems)
        provenance = run.provenance()
        bad = []
        for i in range(half):
            revisions = provenance.get(f"k{i}", [])
            values = [rev["value"] for rev in revisions]
            sources = {rev["source"] for rev in revisions}
            if values != [i, i + half] or sources != {"code"}:
                bad.append(f"k{i}: values {values}, sources {sorted(sources)}")
        if bad:
            fig.problems.append(
                f"run {run.path}: provenance of {len(bad)} updated keys not "
                f"[old, new] from source 'code', e.g. {bad[0]}"
            )


@row("read_history", "read a run's history of 250k values", unit="ms", target=30.0)
def read_history(ctx: Context, fig: Figure) -> None:
    values = HISTORY_ROWS * HISTORY_KEYS
    fig.title = (
        f"read a run's history of {_k(values)} values "
        f"({_k(HISTORY_ROWS)} x {HISTORY_KEYS} keys, pandas=False)"
    )
    setup = ("write_history", str(HISTORY_ROWS), str(HISTORY_KEYS))
    samples = ctx.measure(fig, "read_history", setup=setup)
    want = _digest_of(history_rows(HISTORY_ROWS, HISTORY_KEYS))
    for sample in samples[:1]:  # they all read the one run
        _stored_run(sample, fig.problems)
    for sample in samples:
        info = sample.info
        if info["rows"] != HISTORY_ROWS or info["digest"] != want:
            fig.problems.append(
                f"run {info['path']}: history read {info['rows']:,} rows (keys {info['keys']}), "
                f"expected {HISTORY_ROWS:,} rows of k0..k{HISTORY_KEYS - 1} equal to what was "
                "logged" + ("" if info["rows"] != HISTORY_ROWS else " (values differ)")
            )


# no SPEC row: the target is the history row's rate (30 ms per 250k values) for 1M values
@row("read_metric", "read one key of a 1M-point run", unit="ms", target=120.0)
def read_metric(ctx: Context, fig: Figure) -> None:
    points = _count(ctx, METRIC_POINTS)
    fig.title = f"read one key of a {_k(points)}-point run (metric(key))"
    samples = ctx.measure(fig, "read_metric", "k0", setup=("write_history", str(points), "1"))
    want = history_digest((step, row["k0"]) for step, row in enumerate(history_rows(points, 1)))
    for sample in samples[:1]:
        _stored_run(sample, fig.problems)
    for sample in samples:
        if sample.info["rows"] != points or sample.info["digest"] != want:
            fig.problems.append(
                f"run {sample.info['path']}: metric('k0') read {sample.info['rows']:,} points, "
                f"expected the {points:,} logged"
            )


def _bytes_per_value(tool: str, store: Path, info: dict[str, Any]) -> float:
    wal = runcard_store(store) / "runcard.db-wal"
    if tool == "runcard" and wal.exists():
        info["wal_bytes"] = wal.stat().st_size
    return store_bytes(store) / info["values"]


@row(
    "create_runs",
    "create runs back to back as the store grows",
    unit="runs/s",
    target=1100,
    at_least=True,
)
def create_runs(ctx: Context, fig: Figure) -> None:
    count = _count(ctx, CREATED_RUNS)
    fig.title = f"create runs back to back (20-key config, summary), store grows to {_k(count)}"
    import runcard

    samples = ctx.measure(fig, "create_runs", str(count), fresh_store=True)
    for sample in samples:
        runs = runcard.Api(dir=str(runcard_store(sample.store))).runs(
            "bench", keys=["config.lr", "summary.acc"]
        )
        if len(runs) != count or any(run.state != "finished" for run in runs):
            fig.problems.append(f"{len(runs):,} finished runs in the store, expected {count:,}")
    for tool, result in fig.tools.items():
        if result.samples:
            first = statistics.median(s.info["first"] for s in result.samples)
            last = statistics.median(s.info["last"] for s in result.samples)
            runs = result.samples[0].info["runs"]
            ctx.note(
                f"{tool}: {num(first)} runs/s over the first tenth of {runs:,} runs, "
                f"{num(last)} over the last tenth"
            )


@row("bytes_per_value", "bytes on disk per scalar value", unit="B", target=16.0)
def bytes_per_value(ctx: Context, fig: Figure) -> None:
    values = HISTORY_ROWS * HISTORY_KEYS
    fig.title = f"bytes on disk per scalar value ({_k(values)} random floats)"
    samples = ctx.measure(
        fig,
        "write_history",
        str(HISTORY_ROWS),
        str(HISTORY_KEYS),
        fresh_store=True,
        value_of=_bytes_per_value,
    )
    wal = [s.info["wal_bytes"] for s in samples if "wal_bytes" in s.info]
    if wal:
        ctx.note(
            f"runcard: runcard.db-wal ({num(statistics.median(wal) / 1e6)} MB) was still on "
            f"disk after {len(wal)} of {len(samples)} bytes children exited (counted)"
        )
    want = _digest_of(history_rows(HISTORY_ROWS, HISTORY_KEYS))
    for sample in samples:  # after the sizes: reading may checkpoint the WAL
        run = _stored_run(sample, fig.problems)
        if run is None:
            continue
        rows = run.history(pandas=False)
        keys = [f"k{j}" for j in range(HISTORY_KEYS)]
        got = history_digest((r.get("_step"), *(r.get(k) for k in keys)) for r in rows)
        if got != want:
            fig.problems.append(
                f"run {run.path}: {len(rows):,} rows stored, expected {HISTORY_ROWS:,} "
                "equal to what was logged"
            )


# -- SIGKILL ---------------------------------------------------------------------------------------
def _wait_ready(ctx: Context, proc: subprocess.Popen[str], store: Path) -> dict[str, Any]:
    """The JSON of the child's READY line (it started logging), skipping other output; a child
    not ready within CHILD_TIMEOUT_S is killed."""
    assert proc.stdout is not None
    watchdog = threading.Timer(CHILD_TIMEOUT_S, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            if line.startswith("READY "):
                info: dict[str, Any] = json.loads(line[len("READY ") :])
                return info
    finally:
        watchdog.cancel()
    proc.wait()
    lines = ctx.stderr_path(store).read_text(errors="replace").strip().splitlines()
    raise ChildError(f"exit {proc.returncode}: {lines[-1] if lines else 'no output'}")


def _end(proc: subprocess.Popen[str]) -> None:
    """End the child's session (what it started, wandb's service), reap it, close the pipe."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _runcard_loss(
    store: Path, ready: dict[str, Any], killed_at: float, problems: list[str]
) -> float:
    """ms between the kill and the last row stored (all of it when nothing was); gaps are problems."""
    run = _open_run(store, ready["path"], problems, state=("running", "crashed"))
    if run is None:
        return (killed_at - ready["t0"]) * 1e3
    rows = run.history(pandas=False)
    if not rows:
        problems.append(f"run {run.path}: nothing stored after SIGKILL")
        return (killed_at - ready["t0"]) * 1e3
    ids = [r.get("i") for r in rows]
    steps = [r.get("_step") for r in rows]
    if ids != list(range(len(rows))) or steps != ids:
        problems.append(
            f"run {run.path}: the {len(rows):,} rows stored after SIGKILL have gaps: "
            f"i {_first_difference(ids, list(range(len(rows))))}"
        )
    return (killed_at - rows[-1]["t"]) * 1e3


def _kill_once(ctx: Context, tool: str, rng: random.Random, problems: list[str]) -> Sample:
    store = ctx.new_store(tool)
    env = {HEARTBEAT_ENV: str(KILL_HEARTBEAT_S)} if tool == "runcard" else {}
    proc = ctx.spawn(tool, "kill_log", store, str(KILL_RATE), env=env)
    try:
        ready = _wait_ready(ctx, proc, store)
        time.sleep(rng.uniform(*KILL_AFTER_S))
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        info = {**ready, "killed_at": killed_at}
        if tool == "runcard":
            lost = _runcard_loss(store, ready, killed_at, problems)
        else:  # the peer's own reader, in its environment
            kept = ctx.run_child(tool, "kill_read", store, env={"BENCH_SETUP": json.dumps(ready)})
            last = ready["t0"] if kept["last"] is None else kept["last"]
            lost = (killed_at - last) * 1e3
            info.update(kept)
    finally:
        _end(proc)
    return Sample(lost, info, store)


@row("kill_window", "logs lost to SIGKILL, median", unit="ms", target=50.0)
def kill_window(ctx: Context, fig: Figure) -> None:
    kills = KILLS_PER_REP * ctx.reps
    fig.title = f"logs lost to SIGKILL at {KILL_RATE} calls/s, median of {kills} kills"
    tools = ["runcard", *ctx.peers]
    rng = random.Random()
    for _ in range(kills):
        for tool in tools:
            result = fig.result(tool)
            if result.skipped:
                continue
            try:
                result.samples.append(_kill_once(ctx, tool, rng, fig.problems))
            except ChildError as exc:
                if tool == "runcard":
                    raise ChildError(f"runcard SIGKILL child failed: {exc}") from exc
                ctx.skip(fig, tool, str(exc))
    # a killed run reads "crashed" once 3 heartbeats are missed
    samples = fig.tools["runcard"].samples
    last_kill = max(s.info["killed_at"] for s in samples)
    time.sleep(max(0.0, last_kill + 3 * KILL_HEARTBEAT_S + 0.5 - time.time()))
    for sample in samples:
        _stored_run(sample, fig.problems, state="crashed")
    ctx.shared["kills"] = (fig.tools, len(fig.problems))
    peers_running = [t for t in ctx.peers if fig.tools[t].samples]
    if peers_running:
        ctx.note(
            "SIGKILL, peers: the window only (runcard's rows also check for gaps and that the "
            "run reads 'crashed'; wandb, MLflow and trackio leave theirs 'running')"
        )


@row(
    "kill_window_worst",
    "logs lost to SIGKILL, worst",
    unit="ms",
    target=50.0,
    stat=max,
)
def kill_window_worst(ctx: Context, fig: Figure) -> None:
    """The kills of the median row, their worst case."""
    fig.title = (
        f"logs lost to SIGKILL at {KILL_RATE} calls/s, worst of {KILLS_PER_REP * ctx.reps} kills"
    )
    if "kills" not in ctx.shared:
        fig.problems.append("no SIGKILL measured (see the median row)")
        return
    kills: dict[str, ToolResult]
    kills, problems = ctx.shared["kills"]
    if problems:
        fig.problems.append(f"{problems} problem(s) with the killed runs (see the median row)")
    for tool, result in kills.items():
        mine = fig.result(tool)
        mine.samples = list(result.samples)
        mine.skipped = result.skipped
