"""Where a Hydra job's run is stored: a relative store path against the directory the app was
started in, whatever directory the job runs in; and a store that cannot be written never fails
the job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import runcard

APP = Path(__file__).resolve().parent / "apps" / "legacy.py"


def run_legacy_app(cwd: Path, store: str, *overrides: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNCARD_DIR": store, "HYDRA_FULL_ERROR": "1"}
    return subprocess.run(
        [sys.executable, str(APP), *overrides, "hydra/callbacks=runcard"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_relative_runcard_dir_is_one_store_beside_the_app_when_jobs_change_directory(
    tmp_path: Path,
) -> None:
    done = run_legacy_app(tmp_path, "rel-store", "-m", "hydra.job.chdir=True", "lr=0.1,0.2")
    assert done.returncode == 0, done.stderr
    assert "RuncardCallback." not in done.stderr  # no hook raised
    runs = runcard.Api(dir=str(tmp_path / "rel-store")).runs()
    assert sorted(run.config["lr"] for run in runs) == [0.1, 0.2]
    assert all(run.state == "finished" for run in runs)
    assert len({run.group for run in runs}) == 1
    scattered = [p for p in tmp_path.rglob("rel-store") if p != tmp_path / "rel-store"]
    assert scattered == []


def test_a_single_run_of_an_app_without_version_base_uses_the_relative_store_too(
    tmp_path: Path,
) -> None:
    done = run_legacy_app(tmp_path, "rel-store", "lr=0.3")
    assert done.returncode == 0, done.stderr
    [run] = runcard.Api(dir=str(tmp_path / "rel-store")).runs()
    assert run.config["lr"] == 0.3 and run.group is None
    assert run.summary["return_value"] == 0.3


def test_a_store_that_cannot_be_written_warns_and_the_jobs_go_on(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_legacy_app(tmp_path, str(blocker / "store"), "-m", "lr=0.1,0.2")
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert output.count("could not start a run") == 2, output
    assert "RuncardCallback." not in done.stderr
    assert len(list(tmp_path.glob("multirun/*/*/[01]"))) == 2  # both jobs ran
