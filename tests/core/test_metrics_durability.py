"""Nothing logged is lost: kills, store failures, many processes, long runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import runcard

LOGGER = textwrap.dedent(
    """
    import sys, time, runcard
    run = runcard.init(project="kill")
    print(run.path, flush=True)
    i = 0
    while True:
        runcard.log({"i": i, "t": time.time()})
        i += 1
        time.sleep(0.002)  # a training step
    """
)


def test_after_sigkill_everything_logged_50ms_earlier_is_stored() -> None:
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOGGER], stdout=subprocess.PIPE, text=True, env=os.environ
        )
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        time.sleep(0.5)
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        rows = runcard.Api().run(path).history(pandas=False)
        assert rows, "nothing was stored"
        assert [r["i"] for r in rows] == list(range(len(rows)))  # no gaps
        last_stored = rows[-1]["t"]
        assert killed_at - last_stored < 0.05, f"lost {killed_at - last_stored:.3f} s of logs"


SPARSE_LOGGER = textwrap.dedent(
    """
    import time, runcard
    run = runcard.init(project="sparse")
    print(run.path, flush=True)
    for i in range(3):
        time.sleep(0.3)  # nothing to write meanwhile: the writer sleeps
        run.log({"i": i})
        run.config[f"c{i}"] = i
        run.summary[f"s{i}"] = i
        print(i, flush=True)
    time.sleep(60)
    """
)


def test_after_sigkill_what_was_logged_after_an_idle_spell_50ms_earlier_is_stored() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SPARSE_LOGGER], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    for i in range(3):
        assert proc.stdout.readline().strip() == str(i)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    run = runcard.Api().run(path)
    assert [row["i"] for row in run.history(pandas=False)] == [0, 1, 2]
    assert {key: run.config[key] for key in ("c0", "c1", "c2")} == {"c0": 0, "c1": 1, "c2": 2}
    assert {key: run.summary[key] for key in ("s0", "s1", "s2")} == {"s0": 0, "s1": 1, "s2": 2}


@pytest.mark.sqlite_only  # SQLite's write lock; tests/server has PostgreSQL's twin
def test_a_database_locked_by_another_process_delays_writes_and_loses_nothing(
    store_dir: Path,
) -> None:
    import sqlite3

    run = runcard.init(project="locked")
    holder = sqlite3.connect(store_dir / "runcard.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    for i in range(5000):
        run.log({"i": i})
    time.sleep(0.3)
    holder.execute("COMMIT")
    holder.close()
    run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    assert [r["i"] for r in rows] == list(range(5000))


@pytest.mark.sqlite_only  # the file size limit is the writing process's, not a server's
def test_a_full_disk_warns_once_the_script_completes_and_finish_reports_the_loss() -> None:
    # RLIMIT_FSIZE makes every write past the limit fail as on a full disk (EFBIG)
    code = textwrap.dedent(
        """
        import os, resource, signal, warnings, runcard
        warnings.simplefilter("always")
        run = runcard.init(project="full")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        for i in range(100_000):
            run.log({"i": i, "x": 0.5})
        print("training finished", flush=True)
        try:
            run.finish()
        except runcard.StoreError as exc:
            print("finish reported:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "training finished" in result.stdout, result.stderr
    assert "finish reported:" in result.stdout and "could not be stored" in result.stdout
    assert result.stderr.count("could not write to its store") == 1


def test_a_store_deleted_under_a_live_run_never_raises_into_training(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys, runcard, warnings
        warnings.simplefilter("always")
        run = runcard.init(project="gone")
        runcard.Api().run(run.path).delete()  # the run's row is gone: every write now fails
        for i in range(2000):
            run.log({"i": i})
        print("training finished", flush=True)
        try:
            run.finish()
        except runcard.StoreError as exc:
            print("finish reported:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "training finished" in result.stdout, result.stderr
    assert "finish reported:" in result.stdout
    lost = re.search(r"(\d+) history rows.* could not be stored", result.stdout)
    assert lost is not None and int(lost.group(1)) == 2000, result.stdout
    assert result.stderr.count("could not write to its store") == 1


MANY = """
import sys, runcard
run = runcard.init(project="many", config={"proc": int(sys.argv[1])})
for i in range(int(sys.argv[2])):
    runcard.log({"i": i, "proc": int(sys.argv[1])})
run.finish()
"""


def test_64_processes_logging_to_one_store_lose_nothing() -> None:
    runcard.init(project="seed").finish()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MANY, str(n), "500"], stderr=subprocess.PIPE, text=True
        )
        for n in range(64)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err
    runs = runcard.Api().runs("many")
    assert len(runs) == 64
    for run in runs:
        rows = run.history(pandas=False)
        assert [r["i"] for r in rows] == list(range(500))
        assert {r["proc"] for r in rows} == {run.config["proc"]}


def test_memory_stays_flat_however_many_values_are_logged() -> None:
    code = textwrap.dedent(
        """
        import json, resource, runcard
        run = runcard.init(project="rss")
        marks = []
        for i in range(400_000):
            runcard.log({"a": 0.5, "b": 1.5, "c": i, "d": 0.25, "e": 2.0})
            if i in (100_000, 399_999):
                marks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        run.finish()
        print(json.dumps(marks))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    at_100k, at_400k = json.loads(result.stdout)  # KiB
    assert at_400k - at_100k < 8 * 1024, f"RSS grew {(at_400k - at_100k) / 1024:.1f} MiB"
