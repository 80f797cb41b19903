"""Parameter importance (`Api().importance`, `runcard importance`) on synthetic projects with a
known answer, in the `analysis` env (scikit-learn installed)."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

import pytest

import runcard
from runcard._cli import main


def lr_project(project: str, seed: int, n: int = 60) -> None:
    """val_acc depends strongly on lr, weakly on batch_size, not on seed; with noise."""
    rng = random.Random(seed)
    for _ in range(n):
        lr = 10 ** rng.uniform(-4, -1)
        batch = rng.choice([16, 32, 64, 128, 256])
        run = runcard.init(
            project=project,
            config={"lr": lr, "batch_size": batch, "seed": rng.randrange(10_000), "arch": "mlp"},
        )
        # best near lr=3e-3; 1% more per doubling of the batch; 1% noise
        score = 0.9 - 0.08 * (math.log10(lr) + 2.5) ** 2 + 0.01 * math.log2(batch)
        score += rng.gauss(0, 0.01)
        run.summary["val_acc"] = score
        run.finish()


def scores(report: dict) -> dict[str, float]:
    return {row["key"].removeprefix("config."): row["importance"] for row in report["keys"]}


def test_strong_weak_and_no_effect_rank_in_that_order_in_9_of_10_seeds() -> None:
    api = runcard.Api()
    right = 0
    for seed in range(10):
        lr_project(f"p{seed}", seed)
        report = api.importance(f"p{seed}", "val_acc", seed=seed)
        got = scores(report)
        assert set(got) == {"lr", "batch_size", "seed"}
        assert sum(got.values()) == pytest.approx(1.0)
        assert got["seed"] < 0.05, got
        right += got["lr"] > got["batch_size"] > got["seed"]
    assert right >= 9
    assert report["constant"] == ["config.arch"]
    assert report["runs"] == 60
    rows = {row["key"]: row for row in report["keys"]}
    assert rows["config.lr"]["type"] == "number"
    assert rows["config.lr"]["correlation_method"] == "spearman"
    assert rows["config.batch_size"]["correlation"] > 0  # the weak, rising effect


def test_a_categorical_key_with_a_large_effect_ranks_first() -> None:
    rng = random.Random(3)
    effect = {"adam": 0.9, "sgd": 0.5, "rmsprop": 0.6}
    for _ in range(40):
        optimizer = rng.choice(sorted(effect))
        dropout = rng.uniform(0, 0.5)
        run = runcard.init(project="opt", config={"optimizer": optimizer, "dropout": dropout})
        run.summary["val_acc"] = effect[optimizer] + 0.05 * dropout + rng.gauss(0, 0.02)
        run.finish()
    report = runcard.Api().importance("opt", "summary.val_acc")
    first = report["keys"][0]
    assert first["key"] == "config.optimizer"
    assert first["type"] == "category"
    assert first["correlation_method"] == "epsilon2"
    assert 0.7 < first["correlation"] <= 1.0
    assert first["importance"] > 0.8


def test_same_seed_same_answer_and_keys_and_filters_narrow_it() -> None:
    lr_project("p", 1, n=40)
    api = runcard.Api()
    assert api.importance("p", "val_acc", seed=5) == api.importance("p", "val_acc", seed=5)
    only = api.importance("p", "val_acc", keys=["lr", "config.seed"])
    assert [row["key"] for row in only["keys"]] == ["config.lr", "config.seed"]
    narrowed = api.importance("p", "val_acc", filters={"config.batch_size": 64})
    assert narrowed["runs"] < 40
    assert "config.batch_size" in narrowed["constant"]


def test_under_ten_runs_it_says_so_instead_of_scores() -> None:
    lr_project("few", 0, n=9)
    report = runcard.Api().importance("few", "val_acc")
    assert report["keys"] == [] and report["runs"] == 9
    assert "at least 10" in report["message"]


def test_keys_a_sweep_set_are_listed_apart_from_constants() -> None:
    for i in range(12):
        run = runcard.init(project="sw", config={"lr": i / 100, "arch": "mlp"})
        run.config.update_locked({"epochs": 5})
        run.summary["loss"] = i
        run.finish()
    report = runcard.Api().importance("sw", "loss")
    assert report["fixed_by_sweep"] == ["config.epochs"]
    assert report["constant"] == ["config.arch"]
    assert report["keys"][0]["importance"] == pytest.approx(1.0)


def test_an_unknown_key_or_a_bad_metric_is_a_clear_error() -> None:
    lr_project("p", 2, n=12)
    with pytest.raises(runcard.UsageError, match=r"'config\.nope'"):
        runcard.Api().importance("p", "val_acc", keys=["nope"])
    with pytest.raises(runcard.UsageError, match="metric"):
        runcard.Api().importance("p", "")


def test_cli_table_json_and_csv(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lr_project("p", 4)
    assert main(["importance", "p", "--metric", "val_acc"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "summary.val_acc over 60 runs"
    assert table[1].split()[:2] == ["key", "importance"]
    assert table[2].split()[0] == "lr"
    assert "constant: arch" in table[-1]

    assert main(["importance", "p", "-m", "val_acc", "--format", "json", "-k", "lr,seed"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["key"] for row in report["keys"]] == ["config.lr", "config.seed"]

    assert (
        main(["importance", "p", "-m", "val_acc", "--format", "csv", "-f", "config.lr<0.01"]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["key"] for r in rows} == {
        "config.lr",
        "config.batch_size",
        "config.seed",
        "config.arch",
    }
    assert next(r for r in rows if r["key"] == "config.arch")["type"] == "constant"


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    lr_project("p", 5, n=10)
    assert main(["importance", "p", "--metric", "nope"]) == 1
    assert "no run in project 'p' has a number for summary.nope" in capsys.readouterr().err
    assert main(["importance", "p", "--metric", "val_acc", "-k", "nope"]) == 2
    assert main(["importance", "p", "--metric", "val_acc", "-f", "config.lr<<"]) == 2
