"""Reads at scale (issue 19): a project of 100,000 runs (`--size 1m`: 1,000,000; `--quick`:
2,000), each with a 20-key config and a 20-key summary, on SQLite and (rows `scale_*_pg`, asked
for with --only, as they need PostgreSQL's server programs and psycopg) on a throwaway
PostgreSQL server. The project is written in bulk, straight into the tables runcard created
(what runcard.init would store, minus history), then read back through runcard:

  scale_api      for r in Api().runs(p): read config["lr"] and summary["val_acc"], group them
                 (seconds, timed inside the child; its peak RSS is scale_api_rss)
  scale_api_keys the same read with keys=["config.lr", "summary.val_acc"]: only those decoded
  scale_group    `runcard runs p --group-by lr --columns val_acc --agg mean,std,count`
  scale_page     `runcard runs p` (the default page)
  scale_sort     `runcard runs p --sort=-val_acc`

CLI rows are end to end (`python -m runcard`, interpreter start and import included).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

from benchmarks._harness import Context, Figure, Sample, row

PROJECT = "scale"
LEARNING_RATES = (0.1, 0.03, 0.01, 0.003, 0.001)
SIZES = {"100k": 100_000, "1m": 1_000_000}
TARGETS = {  # (100k, 1M) from issue 19
    "api": (1.0, 10.0),
    "api_rss": (200.0, 300.0),
    "api_keys": (1.0, 10.0),
    "group": (0.5, 3.0),
    "page": (0.3, 1.0),
    "sort": (0.3, 1.0),
}
COLUMNS = ("entity", "project", "run_id", "name", "mode", "state", "created_at", "finished_at")
COLUMNS += ("heartbeat_at", "heartbeat_interval", "config", "summary")

ITERATE = """
import sys, time
t0 = time.perf_counter()
import runcard
groups = {}
keys = sys.argv[2:] or None  # with keys: only those are read (Api.runs(keys=...))
for run in runcard.Api().runs(sys.argv[1], keys=keys):
    groups.setdefault(run.config["lr"], []).append(run.summary["val_acc"])
means = {lr: sum(v) / len(v) for lr, v in groups.items()}
assert len(means) == 5, means
print(time.perf_counter() - t0, sum(map(len, groups.values())))
"""


def _count(ctx: Context) -> int:
    if ctx.quick:
        return 2_000
    return SIZES[str(ctx.shared.get("size", "100k"))]


def _runs(count: int) -> Any:
    """The rows of `count` finished runs, oldest first."""
    rng = random.Random(19)
    base = time.time() - count
    keys = [f"k{j}" for j in range(17)]
    for i in range(count):
        config = {"lr": LEARNING_RATES[i % 5], "seed": i, "optimizer": "adamw"}
        config.update((k, rng.random()) for k in keys)
        summary = {"val_acc": rng.random(), "loss": rng.random(), "epoch": 10}
        summary.update((k, rng.random()) for k in keys)
        created = base + i
        yield (
            "bench",
            PROJECT,
            f"s{i:07d}",
            f"run-{i}",
            "online",
            "finished",
            created,
            created + 0.5,
            created + 0.5,
            10.0,
            json.dumps(config),
            json.dumps(summary),
        )


def build_sqlite(directory: Path, count: int) -> None:
    import sqlite3

    from runcard._store import open_store

    open_store(str(directory)).close()  # the schema, as runcard creates it
    db = sqlite3.connect(directory / "runcard.db")
    with db:
        marks = ", ".join("?" * len(COLUMNS))
        db.executemany(f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({marks})", _runs(count))
    db.close()


def build_postgres(url: str, count: int) -> None:
    import psycopg

    from runcard._store import open_store

    open_store(url).close()
    with psycopg.connect(url) as db, db.cursor() as cursor:
        with cursor.copy(f"COPY runs ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for values in _runs(count):
                copy.write_row(values)
        cursor.execute("ANALYZE runs")


class _Store:
    """The project of this session on one database, built on first use."""

    def __init__(self, ctx: Context, database: str) -> None:
        self.ctx = ctx
        self.database = database
        self.count = _count(ctx)
        self.location: str | None = None

    def where(self) -> str:
        if self.location is not None:
            return self.location
        start = time.perf_counter()
        if self.database == "sqlite":
            path = self.ctx.new_store("scale")
            build_sqlite(path, self.count)
            self.location = str(path)
        else:
            self.location = _postgres(self.ctx).new_store()
            build_postgres(self.location, self.count)
        took = time.perf_counter() - start
        self.ctx.note(f"scale: built {self.count:,} runs on {self.database} in {took:.1f} s")
        return self.location


def _postgres(ctx: Context) -> Any:
    server = ctx.shared.get("scale_pg_server")
    if server is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        import pg_server

        server = pg_server.PostgresServer()
        server.start()
        ctx.shared["scale_pg_server"] = server
        ctx.shared.setdefault("closers", []).append(server.stop)
    return server


def _store(ctx: Context, database: str) -> _Store:
    key = f"scale_store_{database}"
    if key not in ctx.shared:
        ctx.shared[key] = _Store(ctx, database)
    store: _Store = ctx.shared[key]
    return store


def _measure(ctx: Context, fig: Figure, database: str, what: str) -> None:
    store = _store(ctx, database)
    size = "1M" if store.count == 1_000_000 else f"{store.count // 1000}k"
    fig.target = TARGETS[what][1 if store.count >= 1_000_000 else 0]
    fig.title = f"{fig.title} ({size} runs, {database})"
    result = fig.result("runcard")
    cpu: list[float] = []
    try:
        location = store.where()
        for _ in range(ctx.reps):
            if what in ("api", "api_rss", "api_keys"):
                argv = [sys.executable, "-c", ITERATE, PROJECT]
                if what == "api_keys":
                    argv += ["config.lr", "summary.val_acc"]
                _, rss, out, used = _child(argv, location)
                seconds, read = out.split()
                if int(read) != store.count:
                    fig.problems.append(f"read {read} runs of {store.count}")
                value = rss if what == "api_rss" else float(seconds)
            else:
                extra = {
                    "group": [
                        "--group-by",
                        "lr",
                        "--columns",
                        "val_acc",
                        "--agg",
                        "mean,std,count",
                    ],
                    "page": [],
                    "sort": ["--sort=-val_acc"],
                }[what]
                argv = [sys.executable, "-m", "runcard", "runs", PROJECT, *extra]
                value, _, out, used = _child(argv, location)
            cpu.append(used)
            result.samples.append(Sample(value, {}, Path(location)))
    except Exception as exc:  # a crash is this row's problem, not the session's
        fig.problems.append(str(exc))
    if cpu:  # on a busy machine wall time waits for a core; CPU time does not
        ctx.note(f"{fig.title}: child CPU time (user + system) median {median(cpu):.2f} s")


def _child(argv: list[str], location: str) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS MiB, stdout, CPU seconds) of a child reading the store at
    `location`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCARD_")}
    env.update(RUNCARD_DIR=location, COLUMNS="160")
    import tempfile

    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[1:4]} exit {proc.returncode}: {err.decode()[-300:]}")
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, out.decode(), usage.ru_utime + usage.ru_stime


def _register(database: str, opt_in: bool) -> None:
    suffix = "" if database == "sqlite" else "_pg"
    titles = {
        "api": ("Api().runs(p): read lr and val_acc, group", "s"),
        "api_rss": ("Api().runs(p) iteration peak RSS", "MiB"),
        "api_keys": ("Api().runs(p, keys=[lr, val_acc]): read, group", "s"),
        "group": ("runcard runs p --group-by lr", "s"),
        "page": ("runcard runs p (default page)", "s"),
        "sort": ("runcard runs p --sort=-val_acc", "s"),
    }
    for what, (title, unit) in titles.items():

        def measure(ctx: Context, fig: Figure, what: str = what) -> None:
            _measure(ctx, fig, database, what)

        row(
            f"scale_{what}{suffix}",
            title,
            unit=unit,
            target=TARGETS[what][0],
            opt_in=opt_in,
        )(measure)


_register("sqlite", opt_in=False)
_register("postgres", opt_in=True)
