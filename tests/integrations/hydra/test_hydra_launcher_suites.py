"""Hydra's own launcher test suites (hydra.test_utils.launcher_common_tests), for the basic and
the joblib launchers, with runcard's callback enabled in every job: the suites' expectations hold
with it, and after each test every job the suite ran is a finished runcard run in its sweep's
group, with its job number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hydra import version
from hydra.test_utils.launcher_common_tests import (
    BatchedSweeperTestSuite,
    IntegrationTestSuite,
    LauncherTestSuite,
)

import runcard

CALLBACK = ["hydra/callbacks=runcard", "hydra.callbacks.runcard.project=suite"]


@pytest.fixture(autouse=True)
def suite_store(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    hydra_restore_singletons: None,
) -> Path:
    """The store, outside tmpdir: the suites use tmpdir as the sweep dir and remove it. The
    working directory too, which joblib's reused workers go back to after each job. And
    Hydra's version base at 1.1, what an unset one means and the suites expect (another
    test's `initialize(version_base=None)` leaves 1.3 set for the process;
    hydra_restore_singletons puts it back after)."""
    version.setbase("1.1")
    store = tmp_path_factory.mktemp("suite-store")
    monkeypatch.setenv("RUNCARD_DIR", str(store))
    monkeypatch.chdir(tmp_path_factory.mktemp("suite-cwd"))
    return store


@pytest.fixture
def overrides() -> list[str]:
    """A fresh list per test: the suites extend the list they are given."""
    return list(CALLBACK)


@pytest.fixture(autouse=True)
def jobs_are_recorded(suite_store: Path) -> Iterator[None]:
    yield
    runs = runcard.Api(dir=str(suite_store)).runs("suite")
    for run in runs:
        assert run.state == "finished", run.path
        assert run.group is not None and run.group == run.config["hydra"]["sweep"]["dir"]
        assert isinstance(run.config["hydra"]["job"]["num"], int)


def test_the_suites_record_their_jobs(
    suite_store: Path, hydra_sweep_runner: object, tmp_path: Path
) -> None:
    """The check above is not empty: a suite's sweep of two jobs gives two grouped runs."""
    TestBasicLauncher().test_sweep_2_jobs(hydra_sweep_runner, "basic", list(CALLBACK), tmp_path)
    runs = runcard.Api(dir=str(suite_store)).runs("suite")
    assert sorted(run.config["hydra"]["job"]["num"] for run in runs) == [0, 1]
    assert {run.group for run in runs} == {str(tmp_path)}


@pytest.mark.parametrize("launcher_name", ["basic", "joblib"])
class TestBasicLauncher(LauncherTestSuite):
    pass


@pytest.mark.parametrize("launcher_name", ["basic", "joblib"])
class TestBatchedSweeper(BatchedSweeperTestSuite):
    @pytest.fixture
    def overrides(self) -> list[str]:
        return ["hydra/sweeper=basic", "hydra.sweeper.max_batch_size=2", *CALLBACK]


@pytest.mark.parametrize(
    "task_launcher_cfg, extra_flags",
    [
        ({}, ["-m", "hydra/launcher=basic", *CALLBACK]),
        ({}, ["-m", "hydra/launcher=joblib", *CALLBACK]),
    ],
)
class TestLauncherIntegration(IntegrationTestSuite):
    pass
