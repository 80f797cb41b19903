"""`method: bayes` through Optuna's TPE, fed with the sweep's finished runs."""

from __future__ import annotations

import math

import pytest

import runcard

SPEC = {
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "seed": 3,
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0},
        "batch": {"values": [16, 32, 64, 128]},
        "layers": {"min": 1, "max": 6},
        "model": {
            "parameters": {"width": {"distribution": "q_uniform", "min": 8, "max": 64, "q": 8}}
        },
        "epochs": {"value": 3},
    },
}


def _loss(config: dict) -> float:
    return (math.log10(config["lr"]) + 2) ** 2 + abs(config["batch"] - 64) / 64


def _values(project: str, runs: int = 14) -> list[dict]:
    sweep_id = runcard.sweep(SPEC, project=project)
    seen: list[dict] = []

    def train() -> None:
        run = runcard.init(config={"epochs": 1})
        seen.append(dict(run.config))
        run.summary["loss"] = _loss(run.config)

    assert runcard.agent(sweep_id, function=train, count=runs) == runs
    return seen


def test_bayes_suggests_within_the_space_reproducibly_and_learns_from_finished_runs() -> None:
    first, again = _values("a"), _values("b")
    assert first == again  # the same seed and the same results: the same suggestions
    for values in first:
        assert 1e-4 <= values["lr"] <= 1.0 and values["batch"] in (16, 32, 64, 128)
        assert 1 <= values["layers"] <= 6 and values["epochs"] == 3
        assert values["model"]["width"] % 8 == 0
    # past TPE's 10 random start-up trials, suggestions follow the finished runs' losses
    late = sorted(_loss(v) for v in first[10:])
    assert late[0] < sorted(_loss(v) for v in first[:10])[3]


def test_bayes_sweeps_refuse_what_optuna_cannot_search() -> None:
    spec = {**SPEC, "parameters": {"m": {"distribution": "normal", "mu": 0, "sigma": 1}}}
    with pytest.raises(runcard.UsageError, match=r"sweep: parameters\.m: bayes needs a bounded"):
        runcard.sweep(spec)
