"""A real `runcard server` in a subprocess, for the server tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`runcard server --store STORE` on a free loopback port; `stop()` kills it (SIGKILL by
    default, as a crash would) and `start()` brings it back on the same port."""

    def __init__(self, store: str, key_file: Path | None = None, port: int | None = None):
        self.store = store
        self.key_file = key_file
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        command = [sys.executable, "-m", "runcard", "server", "--store", self.store]
        command += ["--port", str(self.port)]
        if self.key_file is not None:
            command += ["--api-key-file", str(self.key_file)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCARD_")}
        self.process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server not listening on {self.port} after {STARTUP_SECONDS} s")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None
