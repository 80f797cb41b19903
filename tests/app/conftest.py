"""A store built by real runs, the app served on a free loopback port, and headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from app_data import CHROMIUM, CHROMIUM_ARGS, build_store, serving

# the `ui` tox env installs these; elsewhere (the core env) this folder is left uncollected
MISSING = [m for m in ("starlette", "uvicorn", "httpx", "playwright") if not find_spec(m)]
if MISSING:
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header() -> str | None:
    if MISSING:
        return f"tests/app not collected: {', '.join(MISSING)} missing (run `tox -e ui`)"
    return None


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("app") / "store"
    return root, build_store(root)


@pytest.fixture(scope="module")
def server(store: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    with serving(store[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()
