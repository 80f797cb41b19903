"""Runs reach the server: pushed live (RUNCARD_URL) and later (`runcard sync`), each point
stored once however the push is repeated or interrupted."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from serving import Server

import runcard
from runcard._cli import main as cli


def wait_for(predicate, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except runcard.RunNotFoundError:  # not pushed yet
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still false after {seconds} s")


def rows_of(api: runcard.Api, path: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        {k: v for k, v in row.items() if k != "_timestamp"}
        for row in api.run(path).history(pandas=False)
    ]


def same_rows(a: list[dict], b: list[dict]) -> bool:  # type: ignore[type-arg]
    def canonical(rows: list[dict]) -> list[str]:  # type: ignore[type-arg]
        return [repr(sorted((k, "nan" if v != v else v) for k, v in r.items())) for r in rows]

    return canonical(a) == canonical(b)


def test_a_live_run_is_on_the_server_while_it_logs_and_when_it_finishes(
    server: Server, local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNCARD_URL", server.url)
    remote = runcard.Api(url=server.url)
    run = runcard.init(project="live", config={"lr": 0.1, "model": {"depth": 4}}, tags=["a"])
    for i in range(3000):
        run.log({"loss": 1 / (i + 1), "nan": math.nan if i == 7 else 0.0, "epoch": i // 100})
    wait_for(lambda: len(remote.run(run.path).metric("loss")[0]) == 3000)
    assert remote.run(run.path).state == "running"
    run.config.update({"lr": 0.05}, allow_val_change=True)
    run.summary["best"] = 0.9
    run.finish()
    on_server, here = remote.run(run.path), runcard.Api().run(run.path)
    assert on_server.state == "finished" and on_server.tags == ["a"]
    assert on_server.config == here.config == {"lr": 0.05, "model": {"depth": 4}}
    assert on_server.summary["best"] == 0.9 and on_server.summary["loss"] == 1 / 3000
    assert on_server.provenance() == here.provenance()
    assert same_rows(rows_of(remote, run.path), rows_of(runcard.Api(), run.path))


def test_an_offline_run_synced_twice_is_stored_once_and_verifies(
    server: Server, local_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runcard.init(project="offline", mode="offline", config={"seed": 3})
    for i in range(5000):
        run.log({"x": i, "y": i * 0.5})
    run.finish()
    for _ in range(2):
        assert cli(["sync", "--url", server.url, "--verify"]) == 0
    out = capsys.readouterr().out
    assert "verified" in out
    remote = runcard.Api(url=server.url).run(run.path)
    steps, values = remote.metric("x")
    assert steps == list(range(5000)) and values == list(range(5000))
    assert remote.config == {"seed": 3} and remote.state == "finished"


class DroppingProxy:
    """A TCP proxy to the server that, from connection number `drop_from` on, forwards the
    request but closes the client's side before the answer: the server stores the push and the
    client never hears it did (the worst moment for a network to fail)."""

    def __init__(self, target_port: int, drop_from: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target_port = target_port
        self.drop_from = drop_from
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(
                target=self._relay, args=(client, self.connections), daemon=True
            ).start()

    def _relay(self, client: socket.socket, number: int) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        request = _read_request(client)
        upstream.sendall(request)
        answer = _read_all(upstream)
        if number < self.drop_from:
            client.sendall(answer)
        client.close()
        upstream.close()

    def close(self) -> None:
        self.listener.close()


def _read_request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while part := sock.recv(65536):
        chunks.append(part)
    return b"".join(chunks)


def test_a_sync_interrupted_half_way_then_repeated_stores_each_point_once(
    server: Server, local_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runcard.init(project="offline", mode="offline")
    for i in range(150_000):  # 147 chunks: several pushes of 32
        run.log({"x": i})
    run.finish()
    proxy = DroppingProxy(server.port, drop_from=3)  # the cursor, one push, then lost answers
    try:
        assert cli(["sync", "--url", f"http://127.0.0.1:{proxy.port}"]) == 4
    finally:
        proxy.close()
    remote = runcard.Api(url=server.url)
    stored = len(remote.run(run.path).metric("x")[0])
    assert 0 < stored < 150_000  # half-way: some pushes stored, the client told of none
    assert cli(["sync", "--url", server.url, "--verify"]) == 0
    steps, values = remote.run(run.path).metric("x")
    assert steps == values == list(range(150_000))
    capsys.readouterr()


CLIENT = textwrap.dedent(
    """
    import sys, time
    import runcard
    index, rows, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    run = runcard.init(project="fleet", id=f"client{index}", config={"index": index})
    for i in range(rows):
        run.log({"a": i, "b": index, "c": i * 0.5, "d": -i, "e": float(i % 7)})
        if pause and i % 100 == 99:
            time.sleep(pause)
    run.finish()
    """
)


def _clients(
    tmp_path: Path, url: str, count: int, rows: int, pause: float
) -> list[subprocess.Popen[str]]:
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    processes = []
    for index in range(count):
        env = {**os.environ, "RUNCARD_URL": url, "RUNCARD_DIR": str(tmp_path / f"machine{index}")}
        processes.append(
            subprocess.Popen(
                [sys.executable, str(script), str(index), str(rows), str(pause)],
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return processes


def _check_fleet(url: str, count: int, rows: int) -> None:
    remote = runcard.Api(url=url)
    assert len(remote.runs("fleet")) == count
    for index in range(count):
        run = remote.run(f"fleet/client{index}")
        assert run.state == "finished", run.state
        for key, want in (("a", list(range(rows))), ("b", [index] * rows)):
            steps, values = run.metric(key)
            assert steps == list(range(rows)) and values == want, (index, key, len(steps))


def test_sixteen_clients_logging_through_the_server_store_every_point_once(
    server: Server, tmp_path: Path
) -> None:
    count, rows = 16, 20_000  # 100k points each
    processes = _clients(tmp_path, server.url, count, rows, pause=0.0)
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "not all of it reached" not in err
    _check_fleet(server.url, count, rows)


def test_clients_keep_logging_while_the_server_is_down_and_catch_up(
    server: Server, tmp_path: Path
) -> None:
    count, rows = 4, 6000
    processes = _clients(tmp_path, server.url, count, rows, pause=0.05)  # about 3 s of logging
    remote = runcard.Api(url=server.url)
    wait_for(lambda: len(remote.runs("fleet")) == count)  # every client has pushed
    server.stop()  # SIGKILL, mid-run
    time.sleep(1.5)
    server.start()
    outages = 0
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outages += "pushing to the server failed" in err
        assert "not all of it reached" not in err
    assert outages  # the clients did see the server go
    _check_fleet(server.url, count, rows)


def test_an_edit_made_on_the_server_survives_a_later_sync(
    server: Server, local_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runcard.init(project="edits", mode="offline", config={"lr": 0.1, "note": "x"})
    run.log({"loss": 1.0})
    run.finish()
    assert cli(["sync", "--url", server.url]) == 0
    remote = runcard.Api(url=server.url).run(run.path)
    remote.config["lr"] = 0.2
    remote.summary["reviewed"] = True
    remote.update()
    assert cli(["sync", "--url", server.url, "--verify"]) == 0
    again = runcard.Api(url=server.url).run(run.path)
    assert again.config == {"lr": 0.2, "note": "x"} and again.summary["reviewed"] is True
    assert [r["value"] for r in again.provenance()["lr"]] == [0.1, 0.2]
    runcard.Api(url=server.url).run(run.path).delete()
    with pytest.raises(runcard.RunNotFoundError):
        runcard.Api(url=server.url).run(run.path)
    capsys.readouterr()


def test_summary_update_through_the_server_is_stored_as_a_revision(
    server: Server, local_dir: Path
) -> None:
    run = runcard.init(project="edits", mode="offline")
    run.log({"loss": 1.0})
    run.summary["val"] = {"acc": 0.5}
    run.finish()
    assert cli(["sync", "--url", server.url]) == 0
    remote = runcard.Api(url=server.url).run(run.path)
    assert remote.summary["val"]["acc"] == 0.5
    remote.summary["best"] = 0.9
    remote.summary.update()  # wandb's documented form
    again = runcard.Api(url=server.url).run(run.path)
    assert again.summary == {"loss": 1.0, "val": {"acc": 0.5}, "best": 0.9}
    assert [r["key"] for r in again._store.revisions(again._pk, "summary")] == ["best"]


def test_a_stepped_row_completed_after_it_was_pushed_reaches_the_server_whole(
    server: Server, local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNCARD_URL", server.url)
    remote = runcard.Api(url=server.url)
    run = runcard.init(project="live")
    run.log({"loss": 0.5}, step=0)
    run.log({"loss": 0.4}, step=1)
    wait_for(lambda: remote.run(run.path).metric("loss")[0] == [0, 1])  # step 1 on the server
    run.log({"acc": 0.9}, step=1)  # no row added: the pushed chunk's last row gets a value
    run.finish()
    want = [{"_step": 0, "loss": 0.5}, {"_step": 1, "loss": 0.4, "acc": 0.9}]
    assert rows_of(remote, run.path) == rows_of(runcard.Api(), run.path) == want
