"""Run the tiny Hydra app in `apps/` as a subprocess, as users run theirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

APP = Path(__file__).resolve().parent / "apps" / "train.py"


@dataclass
class AppResult:
    returncode: int
    stdout: str
    stderr: str
    records: list[dict[str, Any]]  # one per job: what runcard.init()/runcard.run gave the task


RunApp = Callable[..., AppResult]


@pytest.fixture
def run_app(tmp_path: Path) -> RunApp:
    """`run_app(*overrides, ok=True)`: run `apps/train.py` in tmp_path (RUNCARD_DIR comes from
    the environment the root conftest set). Hydra turns a callback's exceptions into warnings,
    so every call also checks that the callback raised nothing."""
    calls = iter(range(1_000))

    def run(*args: str, ok: bool = True) -> AppResult:
        record = tmp_path / f"records-{next(calls)}.jsonl"
        env = {**os.environ, "RUNCARD_HYDRA_TEST_RECORD": str(record), "HYDRA_FULL_ERROR": "1"}
        proc = subprocess.run(
            [sys.executable, str(APP), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        output = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        assert "RuncardCallback." not in proc.stderr, output  # a hook raised
        if ok:
            assert proc.returncode == 0, output
        lines = record.read_text().splitlines() if record.exists() else []
        return AppResult(proc.returncode, proc.stdout, proc.stderr, [json.loads(x) for x in lines])

    return run
