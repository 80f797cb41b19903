"""Oversized and malformed queries (issue 15): a clear UsageError through the Api and exit 2 from
the CLI, never a raw database error or a RecursionError, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

import runcard


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def make_runs() -> list[runcard.Run]:
    runs = []
    for lr in (0.1, 0.01):
        with runcard.init(project="q", config={"lr": lr, "opt": {"name": "adam"}}) as run:
            run.log({"acc": lr * 5})
        runs.append(run)
    return runs


def nested(operator: str, levels: int) -> dict[str, Any]:
    filters: dict[str, Any] = {"config.lr": 0.1}
    for _ in range(levels):
        filters = {operator: [filters]}
    return filters


def deep_list(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


def test_a_filter_of_thousands_of_terms_is_a_usage_error_naming_its_size() -> None:
    make_runs()
    api = runcard.Api()
    with pytest.raises(runcard.UsageError, match="holds 3000 values, more than the 800"):
        api.runs("q", {"$or": [{"config.lr": i} for i in range(3000)]})
    with pytest.raises(runcard.UsageError, match="holds 3000 values"):
        api.runs("q", {"$and": [{"config.opt.name": {"$ne": str(i)}} for i in range(3000)]})
    # up to the bound, a long $or runs on both databases
    wide = {"$or": [{"config.opt.name": {"$ne": "adam"}}] * 799 + [{"config.lr": 0.1}]}
    assert [r.config["lr"] for r in api.runs("q", wide)] == [0.1]
    long = {"$and": [{"config.opt.name": {"$regex": "^a"}}] * 799 + [{"summary.acc": 0.5}]}
    assert [r.config["lr"] for r in api.runs("q", long)] == [0.1]


@pytest.mark.parametrize("operator", ["$and", "$or"])
def test_deeply_nested_filters_are_a_usage_error_naming_the_depth(operator: str) -> None:
    make_runs()
    api = runcard.Api()
    with pytest.raises(runcard.UsageError, match="nests more than 32 levels deep"):
        api.runs("q", nested(operator, 3000))
    with pytest.raises(runcard.UsageError, match="nests more than 32 levels deep"):
        api.runs("q", {"config.lr": {"$in": [deep_list(40)]}})
    assert len(api.runs("q", nested(operator, 15))) == 1  # within the bound, on both databases


def test_an_int_too_long_to_compare_is_a_usage_error_and_a_long_one_compares() -> None:
    make_runs()
    with runcard.init(project="q", config={"lr": 10**20}):
        pass
    api = runcard.Api()
    with pytest.raises(runcard.UsageError, match="int of 16610 bits"):
        api.runs("q", {"config.lr": {"$gt": 10**5000}})
    assert [r.config["lr"] for r in api.runs("q", {"config.lr": 10**20})] == [10**20]
    assert [r.config["lr"] for r in api.runs("q", {"config.lr": {"$gt": 2**64}})] == [10**20]
    assert len(api.runs("q", {"config.lr": {"$lt": 2**64}})) == 2


def test_a_bad_key_in_keys_is_a_usage_error_naming_it() -> None:
    make_runs()
    api = runcard.Api()
    for keys, named in [
        (["nope"], "'nope'"),
        (["config.lr", "state"], "'state'"),
        (["config.lr", 3], "3"),
        ("config.lr", "keys must be a list"),
    ]:
        with pytest.raises(runcard.UsageError, match=named):
            api.runs("q", keys=keys)  # type: ignore[arg-type]
    [run] = api.runs("q", {"config.lr": 0.1}, keys=["config.lr", "summary"])
    assert run.config == {"lr": 0.1} and run.summary == {"acc": 0.5}


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        (" or ".join(f"config.lr={i}" for i in range(3000)), "holds 3000 values"),
        ("(" * 3000 + "config.lr=0.1" + ")" * 3000, "parentheses nest more than 32 deep"),
        ("config.lr=" + "[" * 3000 + "]" * 3000, "the JSON value nests too deeply"),
        ("config.lr=" + "[" * 40 + "]" * 40, "nests more than 32 levels deep"),
        ("config.lr>1" + "0" * 5000, "the number has 5001 digits, too many"),
        ("config.lr=[1" + "0" * 5000 + "]", "not a JSON value"),
    ],
    ids=["3000-or", "3000-brackets", "3000-json-lists", "40-json-lists", "5001-digits", "in-list"],
)
def test_oversized_cli_filters_exit_2_with_the_reason(expression: str, reason: str) -> None:
    make_runs()
    result = cli("runs", "q", "--filter", expression)
    assert result.returncode == 2, result.stderr[-500:]
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert len(runcard.Api().runs("q")) == 2


def test_cli_filters_within_the_bounds_still_run() -> None:
    make_runs()
    many = " or ".join(f"config.lr={i}" for i in range(700)) + " or config.lr=0.1"
    deep = "(" * 30 + "config.lr=0.1" + ")" * 30
    for expression in (many, deep):
        result = cli("runs", "q", "--filter", expression, "--format", "json")
        assert result.returncode == 0, result.stderr[-500:]
        assert [r["config.lr"] for r in json.loads(result.stdout)] == [0.1]
