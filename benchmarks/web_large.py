"""`python benchmarks/web_large.py [--dir DIR_OR_URL] [--runs N] [--reps R]`: the `runcard ui`
JSON API over a project too large to hold in memory (issue 19: 100,000 runs x 20 config keys).

The store is built once (one run through runcard.init / finish, the rest inserted in bulk as
copies of it with their own id, name, earlier times, lr, seed and val_acc) and cached in DIR, a folder
(SQLite) or a postgresql:// URL. The app is served by uvicorn on a free loopback port in this
process and timed over real HTTP. Prints, as medians of R: the first table page and a group-by
(config.lr, mean/std/count of summary.val_acc), each cold (nothing kept, as at start-up) and
warm (asked again), then this process's RSS after those requests and its peak.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.web_api import PROJECT, config20, serve, timed_get

TARGETS_MS = {"first table page": (300.0, 20.0), "group by config.lr": (500.0, 100.0)}
TARGET_RSS_MIB = 300.0
COLUMNS = (
    "entity, project, run_id, name, group_name, job_type, tags, notes, mode, state, exit_code,"
    " created_at, finished_at, heartbeat_at, heartbeat_interval, config, summary, descriptions,"
    " host"
)


def build(where: str, count: int) -> None:
    import runcard

    api = runcard.Api(dir=where)
    try:
        have = api._open().count_runs(None, PROJECT, None)
    except runcard.Error:
        have = 0
    if have >= count:
        print(f"store: {have} runs in {where}", file=sys.stderr)
        return
    os.environ["RUNCARD_DIR"] = where
    if not have:
        run = runcard.init(project=PROJECT, config=config20(0))
        run.summary["val_acc"] = 0.5
        run.finish()
        have = 1
    postgres = where.startswith(("postgres://", "postgresql://"))
    db: Any
    if postgres:
        import psycopg

        db = psycopg.connect(where)
    else:
        import sqlite3

        db = sqlite3.connect(os.path.join(where, "runcard.db"))
    mark = "%s" if postgres else "?"
    # JSON columns as text both ways (PostgreSQL: json, and jsonb for the tags)
    json_columns = {6: "::jsonb", 15: "::json", 16: "::json", 17: "::json", 18: "::json"}
    names = [name.strip() for name in COLUMNS.split(",")]
    read = [f"{n}::text" if postgres and i in json_columns else n for i, n in enumerate(names)]
    template = db.execute(
        f"SELECT {', '.join(read)} FROM runs WHERE project = {mark} ORDER BY pk LIMIT 1",
        [PROJECT],
    ).fetchone()
    rng = random.Random(have)
    start = time.perf_counter()
    marks = [mark + (json_columns.get(i, "") if postgres else "") for i in range(len(names))]
    insert = f"INSERT INTO runs ({COLUMNS}) VALUES ({', '.join(marks)})"
    for first in range(have, count, 10_000):
        rows = []
        for i in range(first, min(count, first + 10_000)):
            row = list(template)
            row[2], row[3] = f"bulk{i:07d}", f"run-{i}"
            row[11] = row[12] = row[13] = template[11] - count + i  # older than the template
            row[15] = json.dumps(config20(i))
            row[16] = json.dumps({"val_acc": rng.random()})
            rows.append(row)
        db.cursor().executemany(insert, rows)
        db.commit()
        rate = (min(count, first + 10_000) - have) / (time.perf_counter() - start)
        print(f"store: {min(count, first + 10_000)}/{count} runs ({rate:.0f}/s)", file=sys.stderr)
    db.close()


def rss_mib() -> tuple[float, float]:
    """(this process's RSS now, its peak), MiB."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.path.join(tempfile.gettempdir(), "runcard-bench-web-large")
    parser.add_argument("--dir", default=default)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    build(args.dir, args.runs)
    app, port = serve(args.dir)
    catalog = app.state.catalog
    project = next(
        p["path"] for p in timed_get(port, "/api/projects")[1]["projects"] if p["name"] == PROJECT
    )
    requests = {
        "first table page": f"/api/runs?project={project}&limit=50",
        "group by config.lr": f"/api/groups?project={project}&by=config.lr&metric=summary.val_acc",
    }
    print(f"runcard ui API, {args.runs:,} runs x 20 config keys, ms, medians of {args.reps}:")
    missed = []
    for label, url in requests.items():
        cold, warm = [], []
        for _ in range(args.reps):
            catalog.forget()
            cold.append(timed_get(port, url)[0])
            warm.append(timed_get(port, url)[0])
        answer = timed_get(port, url)[1]
        total = answer["total"]
        cold_ms, warm_ms = statistics.median(cold), statistics.median(warm)
        want_cold, want_warm = TARGETS_MS[label]
        if cold_ms > want_cold or warm_ms > want_warm:
            missed.append(label)
        print(
            f"  {label:20s} cold {cold_ms:7.1f} (<= {want_cold:.0f})  warm {warm_ms:6.1f} "
            f"(<= {want_warm:.0f})  ({total:,} runs matched)"
        )
    catalog.wait_for_reads()
    now, peak = rss_mib()
    if now > TARGET_RSS_MIB:
        missed.append("RSS")
    print(
        f"  server RSS after those requests {now:.0f} MiB (peak {peak:.0f}; <= {TARGET_RSS_MIB:.0f})"
    )
    print("targets " + (f"missed: {', '.join(missed)}" if missed else "met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
