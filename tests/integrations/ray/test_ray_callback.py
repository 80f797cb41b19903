"""The Ray Tune callback on a local CPU-only Ray cluster (one for this module): real Tuner runs
with short function trainables; results are read back through `runcard.Api`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler

import runcard
from runcard_ray import RuncardLoggerCallback, setup_runcard

ITERATIONS = 8
FAILING_LR = 0.001  # fails in its first iteration, before a scheduler can stop it


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()


def make_trainable(store: str) -> Any:
    def trainable(config: dict[str, Any]) -> None:
        with setup_runcard(project="tune", dir=store):
            for i in range(1, ITERATIONS + 1):
                runcard.log({"inner.lr_times_i": config["lr"] * i}, step=i)
                if config["lr"] == FAILING_LR:
                    raise ValueError("diverged")
                tune.report({"loss": 1.0 / (config["lr"] * 100 * i), "extra": {"i": i}})

    return trainable


def fit(store: Path, tmp_path: Path, **tune_config: Any) -> tune.ResultGrid:
    # the best first: the later, worse trials are the ones ASHA stops, and the best trial
    # (0.2) passes every rung whatever the order the two workers reach it in
    lrs = [0.2, 0.1, 0.04, 0.02, 0.01, 0.004, 0.002, FAILING_LR]
    tuner = tune.Tuner(
        make_trainable(str(store)),
        param_space={"lr": tune.grid_search(lrs), "layers": 2},
        tune_config=tune.TuneConfig(metric="loss", mode="min", **tune_config),
        run_config=tune.RunConfig(
            name="asha-search",
            storage_path=str(tmp_path / "ray_results"),
            callbacks=[RuncardLoggerCallback(project="tune", dir=str(store))],
            verbose=0,
        ),
    )
    return tuner.fit()


def test_eight_trials_over_two_workers_with_asha(store_dir: Path, tmp_path: Path) -> None:
    # rungs at iterations 1 and 3; max_t past the trainable's end, so a trial that ran all its
    # iterations returned on its own (ASHA stops a trial that reaches max_t)
    scheduler = ASHAScheduler(max_t=ITERATIONS + 2, grace_period=1, reduction_factor=3)
    grid = fit(store_dir, tmp_path, scheduler=scheduler, max_concurrent_trials=2)

    runs = {run.id: run for run in runcard.Api(dir=str(store_dir)).runs("tune")}
    results = list(grid)
    assert len(results) == len(runs) == 8
    states = set()
    for result in results:
        trial_id = result.metrics["trial_id"] if result.metrics else None
        config = result.config
        run = next(r for r in runs.values() if r.config["lr"] == config["lr"])
        assert run.group == "asha-search"
        assert run.config["layers"] == 2
        assert run.provenance()["lr"][-1]["source"] == "ray-tune"
        steps, losses = run.metric("loss")
        if config["lr"] == FAILING_LR:
            assert run.state == "failed"
            assert steps == []
            assert run.metric("inner.lr_times_i") == ([1], [FAILING_LR])
        else:
            assert trial_id is not None and run.id == f"tune-{trial_id}"
            last = result.metrics["training_iteration"]
            assert steps == list(range(1, last + 1))
            assert losses == [1.0 / (config["lr"] * 100 * i) for i in steps]
            assert run.metric("extra.i") == (steps, steps)
            assert run.summary["loss"] == result.metrics["loss"]
            assert run.state == ("finished" if last == ITERATIONS else "stopped")
            # logged on the worker, each iteration up to the report a scheduler stopped at
            assert run.metric("inner.lr_times_i") == (steps, [config["lr"] * i for i in steps])
            assert "time_total_s" in run.summary and "pid" not in run.summary
        states.add(run.state)
    assert states == {"finished", "stopped", "failed"}


def test_the_callback_refuses_what_it_sets_itself() -> None:
    with pytest.raises(runcard.UsageError, match="id"):
        RuncardLoggerCallback(id="one")
    with pytest.raises(TypeError, match="'projet'"):
        RuncardLoggerCallback(projet="typo")


@pytest.mark.filterwarnings("ignore:`get_trial_id` is meant to only be called")
def test_setup_runcard_outside_a_trial_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="inside a Tune trainable"):  # noqa: SIM117
        with setup_runcard(project="tune"):
            pass
