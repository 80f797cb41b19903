"""define_metric as wandb's handler computes the summary (issue 17), read back from the store."""

from __future__ import annotations

import math

import pytest

import runcard


def stored_summary(run: runcard.Run) -> dict:
    run.finish()
    return dict(runcard.Api().run(run.path).summary)


def test_summary_kinds_and_comma_lists() -> None:
    run = runcard.init(project="m")
    run.define_metric("loss", summary="min,max,mean,first,last")
    run.define_metric("hidden", summary="none")
    run.define_metric("copied", summary="copy")
    for value in (0.5, 0.2, 0.9, 0.4):
        run.log({"loss": value, "hidden": value, "copied": value})
    expected = {"min": 0.2, "max": 0.9, "mean": 0.5, "first": 0.5, "last": 0.4}
    assert run.summary["loss"] == expected
    assert "hidden" not in run.summary
    assert stored_summary(run) == {"loss": expected, "copied": 0.4}


def test_best_follows_goal_and_defaults_to_minimize() -> None:
    run = runcard.init(project="m")
    run.define_metric("acc", summary="best", goal="maximize")
    run.define_metric("loss", summary="best")
    run.define_metric("err", summary="best", goal="min")
    for value in (0.3, 0.7, 0.5):
        run.log({"acc": value, "loss": value, "err": value})
    assert stored_summary(run) == {
        "acc": {"best": 0.7},
        "loss": {"best": 0.3},
        "err": {"best": 0.3},
    }


def test_nan_and_non_numbers_leave_the_aggregates_as_wandb_does() -> None:
    run = runcard.init(project="m")
    run.define_metric("loss", summary="min,max,mean,last")
    for value in (1.0, math.nan, 3.0, "text", None):
        run.log({"loss": value})
    assert stored_summary(run) == {"loss": {"min": 1.0, "max": 3.0, "mean": 2.0, "last": 3.0}}


def test_a_key_logged_twice_in_one_row_counts_once() -> None:
    run = runcard.init(project="m")
    run.define_metric("loss", summary="min,max,mean")
    run.log({"loss": 4.0}, step=0)
    run.log({"loss": 2.0}, step=1)
    run.log({"loss": 0.0}, step=1)  # the same row: replaces 2.0
    run.log({"loss": 1.0}, commit=False)
    run.log({"loss": 3.0})  # the same row again: replaces 1.0
    assert stored_summary(run) == {"loss": {"min": 0.0, "max": 4.0, "mean": 7.0 / 3}}


def test_glob_escaped_dots_and_a_second_definition_adding_to_the_first() -> None:
    run = runcard.init(project="m")
    run.define_metric("val/*", summary="max")
    run.define_metric("a\\.b", summary="min")
    run.define_metric("loss", summary="min", goal="maximize")
    run.define_metric("loss", summary="max")  # adds max; the goal stays
    run.define_metric("other", summary="min")
    run.define_metric("other", summary="max", overwrite=True)
    for value in (2, 1, 3):
        row = {"val/acc": value, "val/f1": -value, "a.b": value, "loss": value, "other": value}
        run.log({**row, "_private": value, "train": value})
    assert stored_summary(run) == {
        "val/acc": {"max": 3},
        "val/f1": {"max": -1},
        "a.b": {"min": 1},
        "loss": {"min": 1, "max": 3},
        "other": {"max": 3},
        "_private": 3,
        "train": 3,
    }


def test_module_level_define_metric_and_after_finish() -> None:
    run = runcard.init(project="m")
    runcard.define_metric("loss", summary="min", step_metric="epoch")
    run.log({"loss": 2.0, "epoch": 0})
    run.log({"loss": 1.0, "epoch": 1})
    assert run.summary["loss"] == {"min": 1.0}
    run.finish()
    with pytest.raises(runcard.UsageError, match="finished"):
        run.define_metric("acc", summary="max")
    with pytest.raises(runcard.UsageError, match="init"):
        runcard.define_metric("acc", summary="max")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty"),
        ({"name": "a*b"}, "may only end"),
        ({"name": "x", "summary": "median"}, "median"),
        ({"name": "x", "summary": "min,avg"}, "avg"),
        ({"name": "x", "goal": "up"}, "goal"),
        ({"name": "x", "step_metric": 3}, "step_metric"),
    ],
)
def test_bad_definitions_are_usage_errors(kwargs: dict, message: str) -> None:
    run = runcard.init(project="m")
    with pytest.raises(runcard.UsageError, match=message):
        run.define_metric(**kwargs)
