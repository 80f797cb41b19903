"""Requests the server must refuse before they reach the store: writes that are not JSON or
come from another origin, and malformed bodies (each a 400 naming its fault, never a 500)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import zlib
from typing import Any

import pytest
from serving import Server
from test_server_api import push_body

import runcard
from runcard._cli import main as cli

JSON = {"Content-Type": "application/json"}
RUN = json.loads(push_body())["run"]
# a chunk of one row at step 0, time 0, as the history encoder writes it
ONE_STEP = base64.b64encode(zlib.compress(bytes(8))).decode()
ONE_TIME = ONE_STEP


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """The status and the answer: its JSON, else its text."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {"error": text}


def seeded(server: Server) -> tuple[int, dict[str, Any]]:
    """A run logged locally and pushed by `runcard sync`: its pk on the server, and what a
    reader of the server sees of it."""
    run = runcard.init(entity="e", project="p", id="r1", name="first", config={"lr": 0.1})
    run.log({"loss": 1.0})
    run.finish()
    assert cli(["sync", "--url", server.url]) == 0
    return stored_pk(server), snapshot(server)


def stored_pk(server: Server) -> int:
    status, found = call(server, "find_run", {"entity": "e", "project": "p", "run_id": "r1"})
    assert status == 200, found
    return int(found["pk"])


def snapshot(server: Server) -> dict[str, Any]:
    run = runcard.Api(url=server.url).run("e/p/r1")
    return {
        "name": run.name,
        "config": dict(run.config),
        "history": run.history(pandas=False),
        "config_revisions": len(run.__dict__["_store"].revisions(run.__dict__["_pk"], "config")),
        "summary": dict(run.summary),
        "runs": [r.path for r in runcard.Api(url=server.url).runs()],
    }


def call(server: Server, method: str, body: Any) -> tuple[int, Any]:
    return post(f"{server.url}/api/v1/store/{method}", json.dumps(body).encode(), JSON)


def test_a_write_that_is_not_json_or_comes_from_another_origin_is_refused(
    server: Server, local_dir: Any
) -> None:
    pk, before = seeded(server)
    rename = json.dumps(
        {"pk": pk, "fields": {"name": "pwned"}, "revisions": [], "summary_revisions": []}
    ).encode()
    url = f"{server.url}/api/v1/store/edit_run"
    own = f"http://127.0.0.1:{server.port}"
    refused = [
        (415, {}),
        (415, {"Content-Type": "text/plain;charset=UTF-8"}),
        (415, {"Content-Type": "application/x-www-form-urlencoded"}),
        (403, {**JSON, "Origin": "http://127.0.0.1:1"}),
        (403, {**JSON, "Origin": "http://evil.example"}),
        (403, {**JSON, "Origin": "null"}),
        (403, {"Content-Type": "text/plain", "Origin": "http://evil.example"}),
        (403, {**JSON, "Sec-Fetch-Site": "cross-site"}),
        (403, {**JSON, "Sec-Fetch-Site": "same-site", "Origin": own}),
        (400, {**JSON, "Host": "evil.example"}),  # DNS rebinding: a loopback server's own name
    ]
    for expected, headers in refused:
        status, answer = post(url, rename, headers)
        assert (status, headers) == (expected, headers), answer
        assert answer["error"]
    delete = json.dumps({"pk": pk}).encode()
    assert post(f"{server.url}/api/v1/store/delete_run", delete, {})[0] == 415
    assert post(f"{server.url}/api/v1/push", push_body("r2"), {**JSON, "Origin": "null"})[0] == 403
    assert snapshot(server) == before
    # the server's own pages, and clients that are not browsers, still write
    page = {**JSON, "Origin": own, "Sec-Fetch-Site": "same-origin"}
    assert post(url, rename, page)[0] == 200
    assert runcard.Api(url=server.url).run("e/p/r1").name == "pwned"
    assert post(url, rename.replace(b"pwned", b"again"), JSON)[0] == 200
    runcard.Api(url=server.url).run("e/p/r1").delete()  # runcard's own client
    assert runcard.Api(url=server.url).runs() == []


@pytest.mark.parametrize(
    ("method", "body", "named"),
    [
        ("revisions", {"pk": "1; DROP TABLE runs", "scope": "config"}, "'pk'"),
        ("revisions", {"pk": 10**30, "scope": "config"}, "'pk'"),
        ("revisions", {"pk": 1.5, "scope": "config"}, "'pk'"),
        ("revisions", {"pk": True, "scope": "config"}, "'pk'"),
        ("revisions", {"pk": "PK", "scope": ["config"]}, "'scope'"),
        ("last_step", {"pk": "abc"}, "'pk'"),
        ("last_step", {"pk": [1]}, "'pk'"),
        ("delete_run", {"pk": "PK; --"}, "'pk'"),
        ("delete_run", {"pk": -(2**70)}, "'pk'"),
        ("chunks_after", {"pk": "PK", "after": -1, "limit": "ten"}, "'limit'"),
        ("chunks_after", {"pk": "PK", "after": -1, "limit": -5}, "'limit'"),
        ("chunks_after", {"pk": "PK", "after": "x", "limit": 5}, "'after'"),
        ("chunks_after", {"pk": "PK", "after": -1, "limit": 5, "keys": "loss"}, "'keys'"),
        ("chunks_after", {"pk": "PK", "after": -1, "limit": 5, "keys": [1]}, "'keys'"),
        ("query_runs", {"limit": "ten"}, "'limit'"),
        ("query_runs", {"limit": -1}, "'limit'"),
        ("query_runs", {"limit": 10**40}, "'limit'"),
        ("query_runs", {"entity": ["e"]}, "'entity'"),
        ("query_runs", {"project": {"$ne": 1}}, "'project'"),
        ("query_runs", {"filters": [1, 2]}, "'filters'"),
        ("query_runs", {"order": 5}, "'order'"),
        ("query_runs", {"keys": {"a": 1}}, "'keys'"),
        ("revisions", {"pk": "PK", "scope": "config\u0000"}, "'scope' must be one of"),
        ("find_run", {"run_id": 5}, "'run_id'"),
        ("find_run", {"run_id": "r\udc00"}, "not Unicode"),
        ("query_runs", {"filters": {"name": "\udc00"}}, "not Unicode"),
        ("chunks_after", {"pk": "PK", "after": -1, "limit": 5, "keys": ["\udc00"]}, "not Unicode"),
        ("find_run", {"run_id": "r1", "entity": 5}, "'entity'"),
        ("edit_run", {"pk": "x", "fields": {}, "revisions": [], "summary_revisions": []}, "'pk'"),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [[5, 1, "api", None, None, 1.0]]},
            "entry 0: the key",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [], "summary_revisions": [["a", 1]]},
            "summary_revisions: entry 0",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [[[], 1, "api", None, None, 1.0]]},
            "entry 0: a key given as a list",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [["lr", 1, "api", None, "x", 1.0]]},
            "entry 0: the step",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [["lr", 1, "api", 7, None, 1.0]]},
            "entry 0: the detail",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [["lr", 1, None, None, None, 1.0]]},
            "entry 0: the source",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [["lr", 1, "api", None, None, "now"]]},
            "entry 0: the time",
        ),
        (
            "edit_run",
            {"pk": "PK", "fields": {}, "revisions": [["lr", 1, "api", None, 2**64, 1.0]]},
            "entry 0: the step",
        ),
        ("edit_run", {"pk": "PK", "fields": {}, "revisions": {}}, "'revisions'"),
        ("edit_run", {"pk": "PK", "fields": [["name", "x"]], "revisions": []}, "'fields'"),
        ("edit_run", {"pk": "PK", "revisions": []}, "'fields' is missing"),
    ],
)
def test_a_malformed_store_call_is_a_400_naming_its_fault(
    server: Server, local_dir: Any, method: str, body: dict[str, Any], named: str
) -> None:
    pk, before = seeded(server)
    body = {k: pk if v == "PK" else v for k, v in body.items()}
    body.setdefault("summary_revisions", [])
    status, answer = call(server, method, body)
    assert status == 400, answer
    assert named in answer["error"]
    assert snapshot(server) == before
    assert server.alive()


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_deeply_nested_json_is_a_400(server: Server, local_dir: Any) -> None:
    _, before = seeded(server)
    url = server.url + "/api/v1/push"
    for levels in (101, 900, 100_000):
        status, answer = post(url, f'{{"run": {deep(levels)}}}'.encode(), JSON)
        assert status == 400, answer
        assert "request body is nested more than 100 levels deep" in answer["error"]
    deep_filter = {"$and": [json.loads(deep(300))]}
    status, answer = call(server, "query_runs", {"filters": deep_filter})
    assert status == 400 and "nested" in answer["error"], answer
    body = json.loads(push_body("r1"))
    nested: Any = 1
    for _ in range(500):
        nested = {"a": nested}
    body["revisions"] = [[9, "config", json.dumps([["lr", nested, "init", None, None, 1.0]])]]
    status, answer = post(url, json.dumps(body).encode(), JSON)
    assert status == 400 and "revision batch 9 is nested more than" in answer["error"], answer
    assert snapshot(server) == before


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"revisions": [[1, "config", json.dumps([[5, 0.2, "init", None, None, 1.0]])]]}, "key"),
        ({"revisions": [[1, "config", json.dumps([["lr", 0.2, "init", None, None]])]]}, "entry 0"),
        ({"revisions": [[1, "config", json.dumps({"lr": 0.2})]]}, "entries must be a list"),
        ({"revisions": [[1, "config", json.dumps([["lr", 0.2, 3, None, None, 1.0]])]]}, "source"),
        ({"revisions": [[1, "config", json.dumps([["lr", 0.2, "x", [], None, 1.0]])]]}, "detail"),
        ({"revisions": [[1, "config", json.dumps([["lr", 0.2, "x", None, 0.5, 1.0]])]]}, "step"),
        ({"revisions": [[1, "config", '[["lr", 0.2, "x", null, null, NaN]]']]}, "time"),
        ({"revisions": [[1, "config", '[["lr", 0.2, "x", null, null, 1e999]]']]}, "time"),
        ({"revisions": [[2**63, "config", "[]"]]}, "revisions must be"),
        ({"revisions": [[-1, "config", "[]"]]}, "revisions must be"),
        ({"revisions": {"1": "config"}}, "'revisions'"),
        ({"chunks": {"a": 1}}, "'chunks'"),
        ({"chunks": [[2**64, 1, 0, 0, "", "", []]]}, "64-bit"),
        ({"chunks": [[0, 1, 0, 10**30, "", "", []]]}, "64-bit"),
        ({"chunks": [[0, 1, 0, 0, None, ONE_TIME, []]]}, "malformed history chunk"),
        ({"chunks": [[0, 1, 0, 0, "AAAA", "AAAA", []]]}, "malformed history chunk"),
        ({"chunks": [[0, 2, 0, 0, ONE_STEP, ONE_TIME, []]]}, "1 steps and 1 times"),
        ({"chunks": [[0, 1, 5, 9, ONE_STEP, ONE_TIME, []]]}, "min_step and max_step"),
        ({"chunks": [[0, 1, 0, 0, ONE_STEP, ONE_TIME, [["loss", "f8", None, "AA=="]]]]}, "chunk"),
        ({"chunks": [[0, 1, 0, 0, ONE_STEP, ONE_TIME, [["loss", "f8", None, None]]]]}, "chunk"),
        ({"chunks": [[0, 1, 0, 0, ONE_STEP, ONE_TIME, [["loss", "json", None, "W10="]]]]}, "loss"),
        ({"origin": "o\u0000"}, "'origin' must be non-empty Unicode text without NUL"),
        ({"origin": ""}, "'origin' must be non-empty Unicode text without NUL"),
        ({"origin": "o\ud800"}, "'origin' must be non-empty Unicode text without NUL"),
        ({"run": {**RUN, "name": "n\udfff"}}, "not Unicode"),
        ({"sent_at": float("nan")}, "'sent_at'"),
        ({"sent_at": 10**400}, "'sent_at'"),
        ({"sent_at": "now"}, "'sent_at'"),
        ({"origin": ["o"]}, "'origin'"),
        ({"run": [1, 2]}, "'run'"),
    ],
)
def test_a_malformed_push_is_a_400_naming_its_fault(
    server: Server, local_dir: Any, change: dict[str, Any], named: str
) -> None:
    _, before = seeded(server)
    body = {**json.loads(push_body("r1")), **change}
    status, answer = post(server.url + "/api/v1/push", json.dumps(body).encode(), JSON)
    assert status == 400, answer
    assert named in answer["error"]
    assert snapshot(server) == before


@pytest.mark.parametrize(
    "body",
    [
        {"origin": "o", "runs": [5]},
        {"origin": "o", "runs": [{"entity": "e", "project": "p", "run_id": 7}]},
        {"origin": "o", "runs": "e/p/r1"},
        {"origin": 1, "runs": []},
        {"origin": "o\u0000", "runs": []},
    ],
)
def test_a_malformed_verify_is_a_400(server: Server, local_dir: Any, body: Any) -> None:
    status, answer = post(server.url + "/api/v1/verify", json.dumps(body).encode(), JSON)
    assert status == 400, answer


@pytest.mark.parametrize("origin", ["o\u0000", "", 5])
def test_a_malformed_cursor_is_a_400(server: Server, local_dir: Any, origin: Any) -> None:
    cursor = {"origin": origin, "entity": "e", "project": "p", "run_id": "r1"}
    status, answer = post(server.url + "/api/v1/cursor", json.dumps(cursor).encode(), JSON)
    assert status == 400, answer
    assert "'origin'" in answer["error"]
