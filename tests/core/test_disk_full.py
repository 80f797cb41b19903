"""A store that cannot be written for want of room: a genuine failure to write, from the OS.

RLIMIT_FSIZE, set in the child process, makes every write that would take a file past the limit
fail with EFBIG, as a full disk fails with ENOSPC (SIGXFSZ ignored); raising it again is the disk
freed. It limits the writing process's files, so these tests are about SQLite stores.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runcard
from runcard._writer import MAX_QUEUED, MAX_UNSTORED_VALUES

pytestmark = pytest.mark.sqlite_only  # the file size limit is the writing process's

PRELUDE = """
import json, resource, signal, sys, warnings, runcard
warnings.simplefilter("always")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
_, HARD = resource.getrlimit(resource.RLIMIT_FSIZE)

def disk_full(size):
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, HARD))

def disk_freed():
    resource.setrlimit(resource.RLIMIT_FSIZE, (HARD, HARD))

def finish_reporting(run):
    try:
        run.finish()
    except runcard.StoreError as exc:
        print("finish reported:", exc)
"""


def child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def lost_rows(result: subprocess.CompletedProcess[str]) -> tuple[str, int]:
    """The run path a child printed first, and the history rows its finish() reported lost."""
    path, reported = result.stdout.splitlines()[:2]
    lost = re.match(r"finish reported: (\d+) history rows.* could not be stored", reported)
    assert lost is not None, result.stdout + result.stderr
    return path, int(lost.group(1))


def test_a_run_that_lost_rows_to_a_full_disk_reads_failed_with_the_loss_recorded() -> None:
    result = child(
        """
        run = runcard.init(project="full")
        print(run.path, flush=True)
        disk_full(200_000)
        for i in range(100_000):
            run.log({"i": i, "x": 0.5})
        finish_reporting(run)
        """
    )
    path, lost = lost_rows(result)
    run = runcard.Api().run(path)
    assert run.state == "failed"
    assert f"{lost} history rows" in run.metadata["lost_writes"]
    assert len(run.history(pandas=False)) + lost == 100_000


def test_memory_stays_bounded_while_the_disk_is_full_and_the_newest_rows_are_kept() -> None:
    logged = MAX_UNSTORED_VALUES  # rows of 4 values: 4 times what may wait in memory
    result = child(
        f"""
        run = runcard.init(project="full")
        print(run.path, flush=True)
        disk_full(200_000)
        for i in range({logged}):
            run.log({{"i": i, "a": 0.5, "b": 1.5, "c": 2.5}})
        disk_freed()
        finish_reporting(run)
        """
    )
    path, lost = lost_rows(result)
    assert result.stderr.count("keeping the newest history rows") == 1  # said once
    run = runcard.Api().run(path)
    assert run.state == "failed" and "history rows" in run.metadata["lost_writes"]
    steps = [row["i"] for row in run.history(pandas=False)]
    assert len(steps) + lost == logged  # every row stored or counted as lost
    # stored before the disk filled, then the rows kept in memory: the newest, a bounded few
    gap = next(n for n in range(len(steps)) if steps[n] != n)
    kept = steps[gap:]
    assert kept == list(range(logged - len(kept), logged))
    # at most MAX_UNSTORED_VALUES in memory, and the log() calls still queued when the disk was
    # freed (back-pressure bounds them)
    assert len(kept) <= MAX_UNSTORED_VALUES // 4 + MAX_QUEUED


def test_init_on_a_store_with_no_room_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    result = child(
        f"""
        outcomes = []
        for size in range(40_000, 160_000, 4_000):
            root = {str(tmp_path)!r} + f"/{{size}}"
            disk_full(size)
            try:
                runcard.init(project="full", dir=root).finish()
                outcomes.append("stored")
            except runcard.StoreError as exc:
                if root + "/runcard.db" not in str(exc):
                    outcomes.append(f"unnamed: {{exc}}")
                else:
                    outcomes.append("opened" if "cannot open" not in str(exc) else "not opened")
            except Exception as exc:
                outcomes.append(f"raw {{type(exc).__name__}}: {{exc}}")
            disk_freed()
        print(json.dumps(outcomes))
        """
    )
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout)
    assert not [o for o in outcomes if o.startswith(("raw", "unnamed"))], outcomes
    assert "opened" in outcomes and "stored" in outcomes  # the store opened, then had no room
