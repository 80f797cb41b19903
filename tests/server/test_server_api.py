"""The server's guard rails: API keys, body limits, malformed input, hostile filters."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import Server, free_port

import runcard

KEY = "k3y-for-tests-0123456789"


@pytest.fixture
def keyed_server(server_store: str, tmp_path: Path) -> Iterator[Server]:
    key_file = tmp_path / "keys"
    key_file.write_text(f"# team keys\n{KEY}\n")
    running = Server(server_store, key_file=key_file).start()
    yield running
    running.stop(signal.SIGTERM)


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def declared_too_big(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/api/v1/push")
    connection.putheader("Content-Length", str(40 * 2**20))
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def push_body(run_id: str = "r1") -> bytes:
    run = {
        "entity": "e",
        "project": "p",
        "run_id": run_id,
        "name": "n",
        "group_name": None,
        "job_type": None,
        "notes": None,
        "mode": "online",
        "state": "finished",
        "exit_code": 0,
        "created_at": 1.0,
        "finished_at": 2.0,
        "heartbeat_at": 2.0,
        "heartbeat_interval": 10.0,
        "tags": [],
        "summary": {},
        "descriptions": {},
        "host": {},
    }
    revisions = [[1, "config", json.dumps([["lr", 0.1, "init", None, None, 1.0]])]]
    return json.dumps(
        {"origin": "o", "sent_at": 2.0, "run": run, "revisions": revisions, "chunks": []}
    ).encode()


def stored_runs(store: str) -> list[str]:
    return [run.path for run in runcard.Api(dir=store).runs()]


def test_a_missing_or_wrong_key_gets_401_and_writes_nothing(
    keyed_server: Server, server_store: str
) -> None:
    url = keyed_server.url + "/api/v1/push"
    json_type = {"Content-Type": "application/json"}
    assert post(url, push_body())[0] == 401
    assert (
        post(url, push_body(), {**json_type, "Authorization": "Bearer wrong-key-000000000"})[0]
        == 401
    )
    assert post(url, push_body(), {"Authorization": "Basic " + "Og=="})[0] == 401
    assert stored_runs(server_store) == []
    with pytest.raises(runcard.Error, match="401"):
        len(runcard.Api(url=keyed_server.url).runs())  # the runs are read when asked for
    status, _ = post(url, push_body(), {"Authorization": f"Bearer {KEY}"})
    assert status == 200
    assert stored_runs(server_store) == ["e/p/r1"]
    assert runcard.Api(url=keyed_server.url, api_key=KEY).run("e/p/r1").config == {"lr": 0.1}


def test_a_browser_gets_the_web_app_only_with_the_key(keyed_server: Server) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(keyed_server.url + "/", timeout=30)
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"] == 'Basic realm="runcard"'
    import base64

    token = base64.b64encode(f"me:{KEY}".encode()).decode()
    request = urllib.request.Request(
        keyed_server.url + "/", headers={"Authorization": f"Basic {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as page:
        assert page.status == 200 and b"<html" in page.read().lower()


def test_oversized_and_malformed_bodies_get_4xx_and_the_server_stays_up(
    server: Server, server_store: str
) -> None:
    url = server.url + "/api/v1/push"
    assert declared_too_big(server.port) == 413  # refused from the headers, body unread
    assert post(url, b"x" * (33 * 2**20), {"Transfer-Encoding": "chunked"})[0] == 413
    assert post(url, b"{not json")[0] == 400
    assert post(url, b"[1, 2]")[0] == 400
    body = json.loads(push_body())
    for broken in (
        {**body, "run": {**body["run"], "state": 3}},
        {**body, "run": {k: v for k, v in body["run"].items() if k != "run_id"}},
        {**body, "revisions": [[1, "config", "not json"]]},
        {**body, "revisions": [["1", "config", "[]"]]},
        {**body, "chunks": [[0, 5, 0, 4, "not base64!", None, []]]},
        {**body, "chunks": [["x"]]},
    ):
        status, answer = post(url, json.dumps(broken).encode())
        assert status == 400, answer
        assert answer["error"]
    assert post(server.url + "/api/v1/store/drop_tables", b"{}")[0] == 404
    assert post(server.url + "/api/v1/store/find_run", b"{}")[0] == 400
    assert stored_runs(server_store) == []
    assert server.alive()
    assert post(url, push_body())[0] == 200


def test_a_hostile_filter_never_reaches_sql_as_text(server: Server, server_store: str) -> None:
    assert post(server.url + "/api/v1/push", push_body())[0] == 200
    remote = runcard.Api(url=server.url)
    hostile = [
        {"config.x'); DROP TABLE runs; --": 1},
        {"config.lr": {"$regex": "'); DROP TABLE runs; --"}},
        {"name": "n' OR '1'='1"},
    ]
    for filters in hostile:
        try:
            assert remote.runs(filters=filters) == []
        except runcard.UsageError:
            pass
    with pytest.raises(runcard.UsageError):
        remote.runs(filters={"$where": "1"})
    assert stored_runs(server_store) == ["e/p/r1"]


def test_the_server_refuses_to_listen_beyond_loopback_without_a_key(server_store: str) -> None:
    command = [sys.executable, "-m", "runcard", "server", "--store", server_store]
    result = subprocess.run(
        [*command, "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 without --api-key-file" in result.stderr


def test_the_web_app_served_with_the_logging_api_reads_the_pushed_runs(server: Server) -> None:
    assert post(server.url + "/api/v1/push", push_body("r2"))[0] == 200
    with urllib.request.urlopen(server.url + "/api/runs?project=p", timeout=30) as answer:
        page = json.loads(answer.read())
    assert [row["path"] for row in page["runs"]] == ["e/p/r2"]
    with urllib.request.urlopen(server.url + "/api/run/e/p/r2", timeout=30) as answer:
        assert json.loads(answer.read())["config"] == {"lr": 0.1}
