"""Shared fixtures: every test gets its own store directory and a clean current run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import runcard
from runcard import _state


@pytest.fixture(autouse=True)
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh RUNCARD_DIR per test; no config file or env var leaks in from the machine."""
    root = tmp_path / "store"
    monkeypatch.setenv("RUNCARD_DIR", str(root))
    for name in ("RUNCARD_CONFIG_PATHS", "RUNCARD_MODE", "RUNCARD_PROJECT", "RUNCARD_ENTITY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_state, "argv_config_paths", None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "train.py")])
    yield root
    for run in list(_state.live_runs):
        run.finish()
    _state.current_run.set(None)


@pytest.fixture
def api(store_dir: Path) -> runcard.Api:
    return runcard.Api(dir=str(store_dir))
