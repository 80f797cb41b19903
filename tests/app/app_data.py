"""The store the app tests read: runs built with runcard.init / log / finish."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runcard
from runcard import _state

XSS_SCRIPT = "<script>window.pwned=1</script>"
XSS_IMG = "<img src=x onerror=window.pwned=2>"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# lr, optimizer, seed -> final accuracy; groups by lr: 0.1 -> mean 0.8, 0.01 -> mean 0.6
GRID = [
    (0.1, "adam", 0, 0.79),
    (0.1, "adam", 1, 0.81),
    (0.1, "sgd", 0, 0.80),
    (0.01, "adam", 0, 0.58),
    (0.01, "sgd", 0, 0.60),
    (0.01, "sgd", 1, 0.62),
]


def build_store(root: Path) -> dict[str, Any]:
    """Runs in project `demo` (the GRID, 40 logged steps each) and one in `xss` whose config,
    name and tags carry HTML payloads. Returns their paths."""
    paths: dict[str, Any] = {"demo": []}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RUNCARD_DIR", str(root))
        for lr, opt, seed, acc in GRID:
            run = runcard.init(
                project="demo",
                config={"lr": lr, "optimizer": {"name": opt}, "seed": seed, "epochs": 40},
            )
            for step in range(40):
                run.log({"loss": 1.0 / (step + 1), "acc": acc * (step + 1) / 40})
            run.summary["acc"] = acc
            run.finish()
            paths["demo"].append(run.path)
        run = runcard.init(
            project="xss",
            name=XSS_IMG,
            tags=[XSS_SCRIPT],
            config={"payload": XSS_SCRIPT, "img": XSS_IMG, "<b>key</b>": XSS_IMG},
        )
        run.log({"loss": 1.0})
        run.finish()
        paths["xss"] = run.path
    _state.current_run.set(None)
    return paths


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serving(root: Path) -> contextlib.AbstractContextManager[str]:
    """The app over the store at `root`, served by uvicorn on a free loopback port: its URL."""
    from runcard.web._app import create_app

    return serving_app(create_app(str(root)))


@contextlib.contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn on a free loopback port: its URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
