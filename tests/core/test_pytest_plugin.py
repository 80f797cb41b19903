"""The pytest plugin (`runcard.testing`), run as users run it: pytest in a fresh process, with
the plugin found through runcard's `pytest11` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import runcard

TRAINING_TESTS = """
import argparse

import runcard
from runcard.testing import assert_config_source, assert_logged_each


def train(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    run = runcard.init(project="mnist", config=parser.parse_args(argv))
    run.config.update({"epochs": 3})
    for epoch in range(3):
        run.log({"epoch": epoch, "loss": 1.0 / (epoch + 1)})
        run.log({"epoch": epoch, "val_acc": 0.5 + epoch / 10})
    run.finish()


def test_training_records_its_settings(runcard_store):
    assert runcard_store.runs() == []
    train(["--lr", "0.1"])
    run = runcard_store.only_run("mnist")
    assert run.config["lr"] == 0.1
    assert_config_source(run, "lr", "argparse")
    assert_config_source(run, "epochs", "code")
    assert_logged_each(run, "val_acc", per="epoch")


def test_each_test_gets_an_empty_store(runcard_store):
    assert runcard_store.runs() == []
    assert str(runcard_store.dir).endswith("runcard-store")


def test_a_live_run_for_the_test(runcard_run, runcard_store):
    runcard_run.log({"loss": 0.5})
    assert runcard.run is runcard_run
    assert runcard_store.only_run("pytest").name == "test_a_live_run_for_the_test"
"""

FAILING_ASSERTIONS = """
import runcard
from runcard.testing import assert_config_source, assert_logged_each


def test_wrong_source(runcard_store):
    runcard.init(project="p", config={"lr": 0.1}).finish()
    assert_config_source(runcard_store.only_run(), "lr", "argparse")


def test_missing_epoch(runcard_store):
    run = runcard.init(project="p")
    for epoch in range(4):
        run.log({"epoch": epoch, **({} if epoch == 2 else {"val_acc": 0.9})})
    run.finish()
    assert_logged_each(runcard_store.only_run(), "val_acc", per="epoch")


def test_two_runs(runcard_store):
    runcard.init(project="p").finish()
    runcard.init(project="p").finish()
    runcard_store.only_run()
"""


def pytest_in(folder: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_user.py").write_text(textwrap.dedent(source))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCARD_")}
    env["HOME"] = str(folder / "home")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)


def test_the_fixtures_isolate_each_test_and_the_assertions_pass(tmp_path: Path) -> None:
    result = pytest_in(tmp_path, TRAINING_TESTS, f"--basetemp={tmp_path / 'temp'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    folders = [f for f in (tmp_path / "temp").iterdir() if not f.is_symlink()]
    # one store per test that recorded a run: two of the three
    assert len([f for f in folders if (f / "runcard-store").exists()]) == 2
    assert not (tmp_path / "home" / ".runcard").exists()
    live_run_store = tmp_path / "temp" / "test_a_live_run_for_the_test0" / "runcard-store"
    left_live = runcard.Api(dir=str(live_run_store)).runs("pytest")
    assert [run.state for run in left_live] == ["finished"]


def test_failed_assertions_say_what_was_recorded(tmp_path: Path) -> None:
    result = pytest_in(tmp_path, FAILING_ASSERTIONS)
    assert "3 failed" in result.stdout, result.stdout + result.stderr
    assert "config key 'lr' of " in result.stdout
    assert "came from 'init'" in result.stdout and "not 'argparse'" in result.stdout
    assert "'val_acc' was not logged at every epoch" in result.stdout
    assert "missing at 2" in result.stdout
    assert "expected exactly one recorded run, found 2" in result.stdout


def test_the_plugin_is_registered_and_idle_until_a_fixture_is_used(tmp_path: Path) -> None:
    listed = pytest_in(tmp_path, "def test_nothing():\n    pass\n", "--fixtures")
    assert "runcard_store" in listed.stdout and "runcard_run" in listed.stdout
    ran = pytest_in(tmp_path, "def test_nothing():\n    pass\n")
    assert "1 passed" in ran.stdout
    assert not (tmp_path / "home").exists()
