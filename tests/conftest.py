"""Shared fixtures: every test gets its own store and a clean current run.

With RUNCARD_TEST_POSTGRES=1 (tox -e server) the stores are schemas of a throwaway PostgreSQL
server (see pg_server.py): `store_dir` is then that store's postgresql:// URL, not a folder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pg_server
import runcard
from runcard import _process, _state


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_server.PostgresServer | None]:
    """The PostgreSQL server of this test session, when RUNCARD_TEST_POSTGRES=1."""
    if not pg_server.ENABLED:
        yield None
        return
    server = pg_server.PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_store(
    tmp_path: Path, postgres: pg_server.PostgresServer | None
) -> Callable[[str], Path | str]:
    """Where a new, empty store can be: a folder under tmp_path, or a new PostgreSQL schema."""

    def location(name: str) -> Path | str:
        return postgres.new_store() if postgres is not None else tmp_path / name

    return location


@pytest.fixture(autouse=True)
def store_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_store: Callable[[str], Path | str]
) -> Iterator[Path | str]:
    """A fresh RUNCARD_DIR per test; no config file or env var leaks in from the machine."""
    root = make_store("store")
    monkeypatch.setenv("RUNCARD_DIR", str(root))
    for name in ("RUNCARD_CONFIG_PATHS", "RUNCARD_MODE", "RUNCARD_PROJECT", "RUNCARD_ENTITY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_process.process, "argv_config_paths", None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "train.py")])
    yield root
    for run in list(_process.process.live_runs):
        run.finish()
    _state.current_run.set(None)


@pytest.fixture
def api(store_dir: Path) -> runcard.Api:
    return runcard.Api(dir=str(store_dir))
