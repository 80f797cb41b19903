"""`runcard ui`: the subcommand's arguments, serving over HTTP, and the missing-extra message."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from app_data import free_port

import runcard
from runcard._cli._serve import add_ui_command
from runcard.web import DEFAULT_HOST, DEFAULT_PORT, run_ui

DRIVER = """
import argparse, sys
from runcard._cli._serve import add_ui_command
parser = argparse.ArgumentParser(prog="runcard")
parser.add_argument("--dir")
add_ui_command(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="runcard")
    parser.add_argument("--dir")
    add_ui_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_ui_binds_loopback_on_8787_by_default() -> None:
    args = parse("ui")
    assert (args.host, args.port) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 8787)
    assert args.handler is run_ui
    args = parse("--dir", "/x", "ui", "--host", "0.0.0.0", "--port", "9000")
    assert (args.dir, args.host, args.port) == ("/x", "0.0.0.0", 9000)


def test_ui_serves_the_store_given_by_dir(store_dir: Path) -> None:
    runcard.init(project="served", config={"lr": 0.1}).finish()
    port = free_port()
    cmd = [sys.executable, "-c", DRIVER, "--dir", str(store_dir), "ui", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        answer = _get_json(f"http://127.0.0.1:{port}/api/projects", proc)
        assert [p["name"] for p in answer["projects"]] == ["served"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            assert b"/static/js/main.js" in response.read()
        rebound = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/projects", headers={"Host": "evil.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(rebound)
        assert refused.value.code == 400
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in err


def _get_json(url: str | urllib.request.Request, proc: subprocess.Popen[str]) -> Any:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url) as response:
                return json.loads(response.read())
        except urllib.error.URLError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"runcard ui did not serve: {proc.communicate()}") from None
            time.sleep(0.1)


def test_ui_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert run_ui(parse("ui")) == 2
    assert "pip install 'runcard[ui]'" in capsys.readouterr().err


def test_ui_refuses_a_host_beyond_loopback_without_a_key(store_dir: Path, tmp_path: Path) -> None:
    runcard.init(project="served").finish()
    port = free_port()
    command = [sys.executable, "-m", "runcard", "ui", "--host", "0.0.0.0", "--port", str(port)]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "refusing to listen on 0.0.0.0 without --api-key-file" in refused.stderr
    key = "ui-key-0123456789abcdef"
    key_file = tmp_path / "keys"
    key_file.write_text("short\n")
    short = subprocess.run([*command, "--api-key-file", str(key_file)], capture_output=True)
    assert short.returncode == 2 and b"16 characters or more" in short.stderr
    key_file.write_text(f"{key}\n")
    proc = subprocess.Popen(
        [*command, "--api-key-file", str(key_file)], stderr=subprocess.PIPE, text=True
    )
    try:
        keyed = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/projects", headers={"Authorization": f"Bearer {key}"}
        )
        answer = _get_json(keyed, proc)
        assert [p["name"] for p in answer["projects"]] == ["served"]
        with pytest.raises(urllib.error.HTTPError) as unkeyed:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/projects")
        assert unkeyed.value.code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "API key required" in err
