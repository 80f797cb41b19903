"""log(), summary and history (SPEC §2, issue 3), read back from a real store."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

import runcard


def saved(run: runcard.Run) -> runcard.ApiRun:
    run.finish()
    return runcard.Api().run(run.path)


def test_history_round_trips_values_and_their_types() -> None:
    run = runcard.init(project="m")
    values = [
        {"f": 0.1, "i": 3, "b": True, "s": "warmup", "n": None},
        {"f": math.nan, "i": -(2**62), "b": False, "s": "", "n": None},
        {"f": math.inf, "i": 0, "b": True, "s": "é✓", "n": None},
        {"f": -math.inf, "i": 7, "b": False, "s": "x", "n": None},
    ]
    for row in values:
        run.log(row)
    rows = saved(run).history(pandas=False)
    assert [r["_step"] for r in rows] == [0, 1, 2, 3]
    for stored, logged in zip(rows, values, strict=True):
        for key, value in logged.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(stored[key])
            else:
                assert stored[key] == value and type(stored[key]) is type(value)
    assert all(isinstance(r["_timestamp"], float) for r in rows)


def test_a_key_that_changes_type_keeps_each_values_type() -> None:
    run = runcard.init(project="m")
    for value in (1, 2.5, "three", None, True):
        run.log({"v": value})
    rows = saved(run).history(pandas=False)
    assert [(r["v"], type(r["v"])) for r in rows] == [
        (1, int),
        (2.5, float),
        ("three", str),
        (None, type(None)),
        (True, bool),
    ]


def test_commit_false_accumulates_into_one_row() -> None:
    run = runcard.init(project="m")
    run.log({"a": 1}, commit=False)
    run.log({"b": 2}, commit=False)
    assert run.step == 0
    run.log({"c": 3})
    run.log({"d": 4})
    rows = saved(run).history(pandas=False)
    assert [{k: v for k, v in r.items() if k != "_timestamp"} for r in rows] == [
        {"_step": 0, "a": 1, "b": 2, "c": 3},
        {"_step": 1, "d": 4},
    ]


def test_explicit_steps_group_values_and_lower_steps_are_kept() -> None:
    run = runcard.init(project="m")
    run.log({"loss": 1.0}, step=10)
    run.log({"acc": 0.5}, step=10)
    run.log({"loss": 0.9}, step=12)
    run.log({"late": 1}, step=3)  # wandb drops this; runcard stores it
    assert run.step == 12
    run.log({"acc": 0.6}, step=12)
    run.log({"loss": 0.8})  # no step: the open row at 12 is closed, this goes to 13
    rows = saved(run).history(pandas=False)
    assert sorted(
        (r["_step"], tuple(sorted(k for k in r if not k.startswith("_")))) for r in rows
    ) == [(3, ("late",)), (10, ("acc", "loss")), (12, ("acc", "loss")), (13, ("loss",))]


def test_nested_metrics_are_flattened_with_dots_and_numpy_scalars_become_numbers() -> None:
    np = pytest.importorskip("numpy")
    run = runcard.init(project="m")
    run.log(
        {"train": {"loss": np.float32(0.5), "acc": {"top1": np.float64(0.9)}}, "n": np.int64(4)}
    )
    row = saved(run).history(pandas=False)[0]
    assert row["train.loss"] == 0.5 and type(row["train.loss"]) is float
    assert row["train.acc.top1"] == 0.9
    assert row["n"] == 4 and type(row["n"]) is int


def test_values_with_no_metric_form_are_stored_as_text_with_one_warning() -> None:
    run = runcard.init(project="m")
    run.log({"weights": [1, 2, 3]})
    with pytest.warns(runcard.MetricWarning, match="'weights'"):
        assert run.summary["weights"] == "[1, 2, 3]"
    run.log({"weights": [4]})
    assert saved(run).history(pandas=False)[1]["weights"] == "[4]"


def test_ints_too_long_for_json_are_logged_and_summarised_as_their_digits() -> None:
    digits = "1" + "0" * 5000
    run = runcard.init(project="m")
    # the log() warning comes from the writer thread, at its next write: caught up to finish()
    with pytest.warns(runcard.MetricWarning, match="log\\(\\): 'big' holds an int too long"):
        run.log({"big": 10**5000, "x": 1})
        run.log({"big": 10**5000 + 1, "x": 2, "wide": 10**30})
        with pytest.warns(runcard.MetricWarning, match="summary: 'best' holds an int too long"):
            run.summary["best"] = -(10**5000)
        stored = saved(run)
    rows = [{k: v for k, v in r.items() if k != "_timestamp"} for r in stored.history(pandas=False)]
    assert rows == [
        {"_step": 0, "big": digits, "x": 1},
        {"_step": 1, "big": digits[:-1] + "1", "x": 2, "wide": 10**30},
    ]
    assert stored.summary == {
        "big": digits[:-1] + "1",
        "x": 2,
        "wide": 10**30,
        "best": "-" + digits,
    }


def test_summary_holds_the_last_value_unless_set_and_is_readable_at_once() -> None:
    run = runcard.init(project="m")
    run.log({"loss": 1.0, "acc": 0.1})
    assert run.summary["loss"] == 1.0  # read right after log(): already folded in
    run.summary["acc"] = 0.99  # set by the user: later logs don't move it
    run.log({"loss": 0.5, "acc": 0.2})
    assert run.summary.as_dict() == {"loss": 0.5, "acc": 0.99}
    stored = saved(run)
    assert stored.summary == {"loss": 0.5, "acc": 0.99}


def test_define_metric_aggregates_the_summary() -> None:
    run = runcard.init(project="m")
    run.define_metric("loss", summary="min")
    run.define_metric("acc", summary="max")
    run.define_metric("lr", summary="mean")
    run.define_metric("epoch", step_metric="step")  # no summary=: keeps the last value
    for loss, acc, lr in ((0.9, 0.1, 1.0), (0.2, 0.8, 2.0), (0.5, 0.4, 3.0)):
        run.log({"loss": loss, "acc": acc, "lr": lr, "epoch": 1})
    assert run.summary["loss"] == {"min": 0.2}
    stored = saved(run)
    assert stored.summary == {
        "loss": {"min": 0.2},
        "acc": {"max": 0.8},
        "lr": {"mean": 2.0},
        "epoch": 1,
    }
    sorted_runs = runcard.Api().runs("m", filters={"summary.loss.min": {"$lt": 0.3}})
    assert [r.id for r in sorted_runs] == [stored.id]
    with pytest.raises(runcard.UsageError, match="median"):
        runcard.init(project="m").define_metric("x", summary="median")


def test_one_key_is_read_without_the_others_and_across_chunks() -> None:
    run = runcard.init(project="m")
    for i in range(3000):  # three chunks
        row = {"loss": 1.0 / (i + 1), "step_time": 0.01}
        if i % 3 == 0:
            row["eval"] = i
        run.log(row)
    stored = saved(run)
    steps, values = stored.metric("eval")
    assert steps == list(range(0, 3000, 3)) and values == list(range(0, 3000, 3))
    rows = stored.history(pandas=False)
    assert len(rows) == 3000 and rows[2999]["loss"] == 1.0 / 3000
    assert [r["_step"] for r in stored.scan_history(keys=["eval"])][:3] == [0, 3, 6]


def test_log_rejects_a_non_dict_and_a_finished_run() -> None:
    run = runcard.init(project="m")
    with pytest.raises(TypeError, match="dict"):
        run.log([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="step"):
        run.log({"a": 1}, step=1.5)  # type: ignore[arg-type]
    run.finish()
    with pytest.raises(runcard.UsageError, match="finished"):
        run.log({"a": 1})


def test_a_resumed_run_appends_to_its_history() -> None:
    run = runcard.init(project="m", id="again")
    for i in range(1500):
        run.log({"i": i})
    run.finish()
    again = runcard.init(project="m", id="again", resume="must")
    again.log({"i": 1500})
    rows = saved(again).history(pandas=False)
    assert [r["i"] for r in rows] == list(range(1501))
    assert rows[-1]["_step"] == 1500


def test_two_processes_logging_to_one_run_keep_every_row(tmp_path: Path) -> None:
    import subprocess
    import sys

    runcard.init(project="m", id="shared").finish()
    code = (
        "import sys, runcard\n"
        "run = runcard.init(project='m', id='shared', resume='allow')\n"
        "for i in range(3000):\n"
        "    run.log({'writer': int(sys.argv[1]), 'i': i})\n"
        "run.finish()\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(n)]) for n in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rows = runcard.Api().run("m/shared").history(pandas=False)
    for writer in (1, 2):
        assert sorted(r["i"] for r in rows if r["writer"] == writer) == list(range(3000))


def test_history_rows_keep_any_key_name_and_many_keys() -> None:
    odd = {"K0": 1.0, "v0": 2.0, "}": 3.0, "a b": 4.0, "lambda": 5.0, "x'); import os; ('": 6}
    wide = {f"m{i}": float(i) for i in range(250)}
    for row in (odd, wide):  # each key in every row: the rows are built in one pass
        run = runcard.init(project="p")
        run.log(row)
        run.log(row)
        run.finish()
        rows = runcard.Api().run(run.path).history(pandas=False)
        assert [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows] == [row, row]
        assert [r["_step"] for r in rows] == [0, 1]


def test_rows_with_keys_in_another_order_or_missing_read_back_as_logged() -> None:
    logged = [{"a": 1, "b": 2.0}, {"b": 3.0, "a": 4}, {"a": 5}, {"c": "x", "a": 6}]
    run = runcard.init(project="m")
    for i in range(2100):  # across chunk ends, with the writer flushing as it goes
        run.log(logged[i % 4])
    rows = saved(run).history(pandas=False)
    assert [{k: v for k, v in r.items() if k[0] != "_"} for r in rows] == [
        logged[i % 4] for i in range(2100)
    ]


def test_a_chunk_written_in_several_flushes_then_filled_reads_back_whole() -> None:
    run = runcard.init(project="m")
    for burst in range(4):  # the writer stores the open chunk between bursts, then it fills
        for i in range(300 * burst, 300 * (burst + 1)):
            odd = {"odd": i} if i % 2 else {}  # a key in some rows: which ones is stored too
            run.log({"x": i * 0.5, "n": i, **odd})
        time.sleep(0.06)
        if burst == 1:  # read while the chunk is open: 600 rows stored in flushes so far
            deadline = time.monotonic() + 10
            while len(runcard.Api().run(run.path).metric("n")[0]) < 600:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            assert runcard.Api().run(run.path).metric("n") == (list(range(600)),) * 2
            assert runcard.Api().run(run.path).metric("odd") == (list(range(1, 600, 2)),) * 2
    run.finish()
    stored = saved(run)
    assert stored.metric("x") == (list(range(1200)), [i * 0.5 for i in range(1200)])
    assert stored.metric("odd") == (list(range(1, 1200, 2)),) * 2
    assert [row["_step"] for row in stored.history(pandas=False)] == list(range(1200))


def test_reads_while_a_run_logs_always_see_whole_rows() -> None:
    run = runcard.init(project="m")

    def train() -> None:
        for i in range(20_000):  # about a second: the writer rewrites the open chunk ~50 times
            run.log({"a": i, "b": i * 0.5})
            if i % 100 == 0:
                time.sleep(0.005)

    worker = threading.Thread(target=train)
    worker.start()
    reads = 0
    try:
        while worker.is_alive() or reads < 3:
            stored = runcard.Api().run(run.path)  # the open chunk moves while it is read
            rows = stored.history(pandas=False)
            assert [(r["_step"], r["a"], r["b"]) for r in rows] == [
                (i, i, i * 0.5) for i in range(len(rows))
            ]
            steps, values = stored.metric("a")
            assert steps == values == list(range(len(steps)))
            reads += 1
    finally:
        worker.join()
    run.finish()
