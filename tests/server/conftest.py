"""Fixtures of the server tests: a server over the test's store (PostgreSQL in the `server` tox
env, SQLite elsewhere), and a separate local store for the clients that push to it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import Server


@pytest.fixture
def server_store(store_dir: object) -> str:
    """The store the server serves: the test's own (its URL or directory)."""
    return os.environ["RUNCARD_DIR"]


@pytest.fixture
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_store: str) -> Path:
    """The clients' local store: where runs land before they are pushed."""
    path = tmp_path / "local"
    monkeypatch.setenv("RUNCARD_DIR", str(path))
    return path


@pytest.fixture
def server(server_store: str) -> Iterator[Server]:
    running = Server(server_store).start()
    yield running
    running.stop(signal.SIGTERM)
