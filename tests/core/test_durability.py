"""What survives crashes and concurrency: real processes on one real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import runcard


def start(code: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def test_a_script_that_raises_leaves_its_run_failed_with_its_config() -> None:
    proc = start(
        """
        import runcard
        run = runcard.init(project="crash", config={"lr": 0.1, "model": {"depth": 3}})
        runcard.config.epochs = 4
        runcard.log({"loss": 1.0})
        print(run.path, flush=True)
        raise RuntimeError("boom")
        """
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "boom" in err
    saved = runcard.Api().run(out.strip())
    assert saved.state == "failed"
    assert saved.config == {"lr": 0.1, "model": {"depth": 3}, "epochs": 4}
    assert saved.summary == {"loss": 1.0}


def test_a_live_run_that_logs_nothing_for_a_while_keeps_its_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNCARD_HEARTBEAT_SECONDS", "0.1")
    run = runcard.init(project="quiet")
    for _ in range(10):  # 1 s: ten heartbeats, with nothing else to write in between
        time.sleep(0.1)
        assert runcard.Api().run(run.path).state == "running"
    run.finish()


def test_a_heartbeat_interval_longer_than_a_lock_can_wait_still_logs_and_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNCARD_HEARTBEAT_SECONDS", "inf")
    run = runcard.init(project="never-beats")
    time.sleep(0.1)  # the writer sleeps, with nothing to write and no heartbeat due
    run.log({"loss": 1.0})
    run.finish()
    saved = runcard.Api().run(run.path)
    assert (saved.state, saved.summary["loss"]) == ("finished", 1.0)


def test_a_sigkilled_script_reads_crashed_once_its_heartbeat_is_stale() -> None:
    proc = start(
        """
        import time, runcard
        run = runcard.init(project="crash", config={"lr": 0.1})
        runcard.log({"loss": 1.0})
        print(run.path, flush=True)
        time.sleep(60)
        """,
        RUNCARD_HEARTBEAT_SECONDS="0.1",
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    time.sleep(0.2)
    assert runcard.Api().run(path).state == "running"
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while runcard.Api().run(path).state != "crashed" and time.monotonic() < deadline:
        time.sleep(0.05)
    saved = runcard.Api().run(path)
    assert saved.state == "crashed"
    assert saved.config == {"lr": 0.1}
    assert runcard.Api().runs("crash", filters={"state": "crashed"})[0].id == saved.id


def test_sigterm_flushes_and_marks_the_run_failed() -> None:
    proc = start(
        """
        import time, runcard
        run = runcard.init(project="term", config={"lr": 0.1})
        for i in range(1000):
            runcard.log({"i": i})
        runcard.config.late = True
        print(run.path, flush=True)
        time.sleep(60)
        """
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGTERM
    saved = runcard.Api().run(path)
    assert saved.state == "failed" and saved.exit_code == 128 + signal.SIGTERM
    assert len(saved.history(pandas=False)) == 1000
    assert saved.config == {"lr": 0.1, "late": True}


WRITER = """
import sys, runcard
tag = sys.argv[1]
for n in range(int(sys.argv[2])):
    run = runcard.init(project="many", config={"writer": tag, "n": n, "model": {"depth": n % 5}})
    for step in range(20):
        runcard.log({"loss": 1.0 / (step + 1)})
    runcard.config.update({"late": n})
    run.finish()
"""


def test_two_processes_writing_runs_at_once_lose_nothing(store_dir: Path) -> None:
    runcard.init(project="seed").finish()  # the store exists; both writers append to it
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, tag, "25"], stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    runs = runcard.Api().runs("many")
    assert len(runs) == 50
    for tag in ("a", "b"):
        mine = runcard.Api().runs("many", filters={"config.writer": tag})
        assert sorted(r.config["n"] for r in mine) == list(range(25))
    for run in runs:
        assert run.state == "finished"
        assert run.config["late"] == run.config["n"]
        assert len(run.history(pandas=False)) == 20


def test_processes_opening_a_brand_new_store_at_once_all_succeed(
    make_store: Callable[[str], Path | str],
) -> None:
    root = make_store("fresh")
    code = (
        "import sys, runcard; r = runcard.init(project='new', dir=sys.argv[1], "
        "config={'k': 1}); r.finish(); print(r.id)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids.append(out.strip())
    stored = runcard.Api(dir=str(root)).runs("new")
    assert sorted(r.id for r in stored) == sorted(ids)
    assert all(r.config == {"k": 1} and r.state == "finished" for r in stored)


def test_several_threads_writing_config_and_metrics_to_one_run_lose_nothing() -> None:
    import threading

    run = runcard.init(project="threads")

    def work(tag: int) -> None:
        for i in range(200):
            run.config[f"t{tag}_{i}"] = i
            run.log({f"t{tag}": i})

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.finish()
    saved = runcard.Api().run(run.path)
    assert len(saved.config) == 800
    assert len(saved.history(pandas=False)) == 800
    assert json.dumps(saved.summary, sort_keys=True) == json.dumps(
        {f"t{t}": 199 for t in range(4)}, sort_keys=True
    )


def test_a_forked_child_neither_logs_to_nor_finishes_its_parents_run() -> None:
    proc = start(
        """
        import os, sys, runcard
        run = runcard.init(project="fork", config={"a": 1})
        pid = os.fork()
        if pid == 0:  # the child exits normally: its exit hooks must leave the run alone
            sys.exit(0 if runcard.run is None else 3)
        _, status = os.waitpid(pid, 0)
        state = runcard.Api().run(run.path).state
        run.log({"after_fork": 1})
        print(run.path, os.waitstatus_to_exitcode(status), state, flush=True)
        """
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    path, child_exit, state_after_child = out.split()
    assert (child_exit, state_after_child) == ("0", "running")
    saved = runcard.Api().run(path)
    assert saved.state == "finished" and saved.summary == {"after_fork": 1}
