"""`python benchmarks/server_ingest.py [--store URL_OR_DIR] [--clients 16] [--points 100000]`:
the tracking server's ingest, and what a client pays while the server is down.

1. Ingest: `runcard server --store ...` on a free loopback port (PostgreSQL with a
   postgresql:// URL, else a fresh SQLite directory); CLIENTS processes, each its own machine
   (its own local store), log POINTS values (rows of 5 floats) with RUNCARD_URL set. Timed from
   the clients' start until the last one has finished, its run pushed whole; every run is then
   read back from the server and checked. Prints points/s through the server.
2. Server down: one process logs 100k rows with RUNCARD_URL naming a closed port, then the same
   with no server at all. Prints log()'s median cost on the calling thread and calls/s incl.
   finish for both: the first must match the second.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "server"))
from serving import Server, free_port  # noqa: E402

KEYS = 5

CLIENT = textwrap.dedent(
    """
    import sys
    import runcard
    index, rows, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    run = runcard.init(project="ingest", id=f"{tag}client{index}")
    for i in range(rows):
        run.log({"a": i * 0.5, "b": index * 1.0, "c": -i * 0.25, "d": 1.0 / (i + 1), "e": 0.0})
    run.finish()
    """
)

LOGGER = textwrap.dedent(
    """
    import json, sys, time
    import runcard
    rows = int(sys.argv[1])
    run = runcard.init(project="down")
    costs = []
    clock = time.perf_counter
    t0 = clock()
    for i in range(rows):
        a = clock()
        run.log({"a": i * 0.5, "b": 1.0, "c": 2.0, "d": 3.0, "e": 4.0})
        costs.append(clock() - a)
    run.finish()
    t1 = clock()
    costs.sort()
    print(json.dumps({"median_us": costs[len(costs) // 2] * 1e6, "calls_per_s": rows / (t1 - t0)}))
    """
)


def ingest(store: str, clients: int, points: int, work: str, tag: str) -> float:
    rows = points // KEYS
    script = os.path.join(work, "client.py")
    with open(script, "w") as f:
        f.write(CLIENT)
    server = Server(store).start()
    try:
        start = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, script, str(index), str(rows), tag],
                env={
                    **os.environ,
                    "RUNCARD_URL": server.url,
                    "RUNCARD_DIR": os.path.join(work, f"{tag}machine{index}"),
                },
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(clients)
        ]
        for process in processes:
            _, err = process.communicate(timeout=1800)
            if process.returncode != 0 or "not all of it reached" in err:
                raise SystemExit(f"a client failed: {err}")
        seconds = time.perf_counter() - start
        check(server.url, clients, rows, tag)
    finally:
        server.stop(signal.SIGTERM)
    return clients * rows * KEYS / seconds


def check(url: str, clients: int, rows: int, tag: str) -> None:
    import runcard

    remote = runcard.Api(url=url)
    for index in range(clients):
        run = remote.run(f"ingest/{tag}client{index}")
        steps, values = run.metric("a")
        if run.state != "finished" or steps != list(range(rows)) or len(values) != rows:
            raise SystemExit(f"client{index}: {len(steps)} rows on the server, expected {rows}")


def log_while_down(work: str, rows: int, reps: int) -> dict[str, dict[str, float]]:
    import json

    script = os.path.join(work, "logger.py")
    with open(script, "w") as f:
        f.write(LOGGER)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    results: dict[str, list[dict[str, float]]] = {"server down": [], "no server": []}
    for rep in range(reps):
        for label, url in (("server down", closed), ("no server", None)):
            env = {**os.environ, "RUNCARD_DIR": os.path.join(work, f"down{rep}")}
            env.pop("RUNCARD_URL", None)
            if url:
                env["RUNCARD_URL"] = url
            out = subprocess.run(
                [sys.executable, script, str(rows)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[label].append(json.loads(out.splitlines()[-1]))
    return {
        label: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for label, runs in results.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="postgresql://... (default: a fresh SQLite directory)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--points", type=int, default=100_000, help="values per client")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="runcard-bench-server-") as work:
        store = args.store or os.path.join(work, "server-store")
        kind = "PostgreSQL" if store.startswith("postgres") else "SQLite"
        tags = [f"r{rep}-{os.getpid()}-" for rep in range(args.reps)]
        rates = [ingest(store, args.clients, args.points, work, tag) for tag in tags]
        print(
            f"ingest through the server ({kind}): {args.clients} clients x {args.points:,} values: "
            f"{statistics.median(rates):,.0f} points/s (median of {args.reps}; "
            f"min {min(rates):,.0f}, max {max(rates):,.0f})"
        )
        for label, figures in log_while_down(work, 100_000, args.reps).items():
            print(
                f"log() of 5 floats, {label}: {figures['median_us']:.2f} us median on the caller, "
                f"{figures['calls_per_s']:,.0f} calls/s incl. finish (100k calls)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
