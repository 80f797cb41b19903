"""log(step=) and commit=False rows: each call's values are stored within a flush, the values of
one step still read back as one row (issue 15, item 4; SPEC §5)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import runcard


def _data_rows(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(step, the row's own keys and values) of each row read back, in a stable order."""
    return sorted(
        (r["_step"], json.dumps({k: v for k, v in r.items() if k[0] != "_"}, sort_keys=True))
        for r in rows
    )


class _Model:
    """How log() groups values into rows (see Run.log), built here with plain dicts."""

    def __init__(self) -> None:
        self.step, self.row, self.by_step = 0, {}, False
        self.rows: list[tuple[int, dict[str, Any]]] = []

    def commit(self) -> None:
        self.by_step = False
        if self.row:
            self.rows.append((self.step, self.row))
            self.row, self.step = {}, self.step + 1

    def log(self, data: dict[str, Any], step: int | None, commit: bool | None) -> None:
        if step is not None:
            if step < self.step:
                self.rows.append((step, dict(data)))
                return
            if step > self.step:
                self.commit()
                self.step = step
            self.by_step = True
        elif self.by_step:
            self.commit()
        self.row.update(data)
        if commit is True or (commit is None and step is None):
            self.commit()


def test_rows_built_across_calls_and_flushes_read_back_as_logged() -> None:
    rng = random.Random(15)
    run = runcard.init(project="steps")
    model = _Model()
    for i in range(3000):  # about 2,000 rows: across a chunk's end
        data: dict[str, Any] = {rng.choice("abcdef"): rng.choice([i, float(i), f"s{i}", None])}
        if rng.random() < 0.2:
            data[rng.choice("abcdef")] = i
        kind = rng.random()
        step: int | None = None
        commit: bool | None = None
        if kind < 0.5:
            step = model.step + rng.choice([0, 0, 1, 2])
        elif kind < 0.55:
            step = max(0, model.step - rng.randint(1, 5))  # an earlier step: its own row
        elif kind < 0.7:
            commit = False
        elif kind < 0.75:
            step, commit = model.step + rng.choice([0, 1]), True
        run.log(data, step=step, commit=commit)
        model.log(data, step, commit)
        if rng.random() < 0.3:
            run.summary.get("a")  # the writer side takes what was logged: rows grow in chunks
        if rng.random() < 0.01:
            time.sleep(0.03)  # and are written, then grow
        assert run.step == model.step
    model.commit()
    run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    want = sorted((step, json.dumps(row, sort_keys=True)) for step, row in model.rows)
    assert _data_rows(rows) == want


def test_values_of_one_step_are_in_the_summary_at_once_and_in_one_row() -> None:
    run = runcard.init(project="steps")
    run.log({"a": 1}, step=5)
    assert run.summary["a"] == 1  # before the step is complete
    time.sleep(0.1)  # the row is written as it is
    run.log({"b": 2}, step=5)
    assert run.summary["b"] == 2
    run.log({"a": 3, "c": {"d": 4}}, step=5)
    run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    assert [{k: v for k, v in r.items() if k != "_timestamp"} for r in rows] == [
        {"_step": 5, "a": 3, "b": 2, "c.d": 4}
    ]


SLOW_LOGGER = textwrap.dedent(
    """
    import sys, time, runcard
    run = runcard.init(project="kill")
    print(run.path, flush=True)
    for i in range(3):
        run.log({"i": i, "loss": 1.0 / (i + 1), "t": time.time()}, step=i)
        print(i, flush=True)
        time.sleep(float(sys.argv[1]))
    time.sleep(600)
    """
)


def _spawn(code: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """A child logging to this test's store, and the path of its run."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    proc.stdout.close()


def test_after_sigkill_the_newest_stepped_row_is_stored() -> None:
    for pause in ("1.5", "0.3"):  # the newest step is 150-200 ms old, then logged a while ago
        proc, path = _spawn(SLOW_LOGGER, pause)
        assert proc.stdout is not None
        for i in range(3):
            assert proc.stdout.readline().strip() == str(i)
            if i < 2:
                continue
            time.sleep(0.15 if pause == "1.5" else 1.0)
        _kill(proc)
        rows = runcard.Api().run(path).history(pandas=False)
        assert [(r["_step"], r["i"], r["loss"]) for r in rows] == [
            (0, 0, 1.0),
            (1, 1, 0.5),
            (2, 2, 1.0 / 3),
        ], pause


SPLIT_ROW = textwrap.dedent(
    """
    import sys, time, runcard
    run = runcard.init(project="kill")
    print(run.path, flush=True)
    run.log({"x": 0}, step=4)
    run.log({"a": 1}, step=5)
    print("a", flush=True)
    input()  # the parent says when to go on, or kills it here
    run.log({"b": 2}, step=5)
    print("b", flush=True)
    time.sleep(600)
    """
)


def test_a_row_completed_across_calls_keeps_its_first_values_through_sigkill() -> None:
    proc, path = _spawn(SPLIT_ROW)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "a"
    time.sleep(0.15)
    _kill(proc)
    rows = runcard.Api().run(path).history(pandas=False)
    assert [(r["_step"], r.get("x"), r.get("a"), "b" in r) for r in rows] == [
        (4, 0, None, False),
        (5, None, 1, False),
    ]


def test_a_row_completed_after_it_was_written_reads_back_whole_after_sigkill() -> None:
    proc, path = _spawn(SPLIT_ROW)
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline().strip() == "a"
    time.sleep(0.15)  # {"a": 1} at step 5 is written
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "b"
    time.sleep(0.15)  # and then {"b": 2} into the same row
    _kill(proc)
    rows = runcard.Api().run(path).history(pandas=False)
    assert [{k: v for k, v in r.items() if k != "_timestamp"} for r in rows] == [
        {"_step": 4, "x": 0},
        {"_step": 5, "a": 1, "b": 2},
    ]
    assert [r["_step"] for r in runcard.Api().run(path).scan_history()] == [4, 5]


def test_values_added_to_a_stored_row_that_cannot_be_written_are_reported_by_finish() -> None:
    code = textwrap.dedent(
        """
        import time, warnings, runcard
        warnings.simplefilter("ignore")
        run = runcard.init(project="gone")
        run.log({"a": 1}, step=0)
        time.sleep(0.2)  # the row is stored
        runcard.Api().run(run.path).delete()  # the run's row is gone: every write now fails
        run.log({"b": 2}, step=0)
        try:
            run.finish()
        except runcard.StoreError as exc:
            print("finish reported:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "finish reported:" in result.stdout and "could not be stored" in result.stdout, (
        result.stdout + result.stderr
    )


def test_a_row_ending_a_full_chunk_still_gets_the_values_of_its_step() -> None:
    run = runcard.init(project="steps")
    for i in range(1023):
        run.log({"i": i} if i != 5 else {"i": i, "c": 0})
    run.log({"i": 1023, "a": 1.0}, step=1023)  # the 1,024th row: its chunk is full
    time.sleep(0.1)  # and written, its streams ended
    run.log({"late": 1}, step=7)  # an earlier step: a row of its own, in the next chunk
    time.sleep(0.1)
    run.log({"b": 2, "a": 3.0, "c": 9}, step=1023)
    run.log({"j": 0})  # closes step 1023
    run.finish()
    rows = runcard.Api().run(run.path).history(pandas=False)
    kept = [{k: v for k, v in r.items() if k != "_timestamp"} for r in rows]
    assert kept[5] == {"_step": 5, "i": 5, "c": 0}
    assert kept[:5] + kept[6:1023] == [{"_step": i, "i": i} for i in range(1023) if i != 5]
    assert sorted(kept[1023:], key=lambda r: r["_step"]) == [
        {"_step": 7, "late": 1},
        {"_step": 1023, "i": 1023, "a": 3.0, "b": 2, "c": 9},
        {"_step": 1024, "j": 0},
    ]
    assert runcard.Api().run(run.path).metric("c") == ([5, 1023], [0, 9])
