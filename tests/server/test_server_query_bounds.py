"""Oversized filters and bad keys at the server (issue 15): a 400 naming the reason, whether
they come from runcard's client or straight from an HTTP request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from serving import Server
from test_server_api import post, push_body, stored_runs

import runcard


def deep_and(levels: int) -> dict[str, Any]:
    filters: dict[str, Any] = {"config.lr": 0.1}
    for _ in range(levels):
        filters = {"$and": [filters]}
    return filters


def test_oversized_filters_and_bad_keys_get_400_naming_them(
    server: Server, server_store: str
) -> None:
    assert post(server.url + "/api/v1/push", push_body())[0] == 200
    url = server.url + "/api/v1/store/query_runs"
    wide = {"$or": [{"config.lr": i} for i in range(3000)]}
    for body, reason in [
        ({"filters": wide}, "holds 3000 values"),
        ({"filters": deep_and(40)}, "nests more than 32 levels deep"),
        ({"filters": {"config.lr": 0.1}, "keys": ["nope"]}, "'nope'"),
    ]:
        status, answer = post(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        assert status == 400 and reason in answer["error"], answer
    remote = runcard.Api(url=server.url)
    with pytest.raises(runcard.UsageError, match="holds 3000 values"):
        remote.runs(filters=wide)
    with pytest.raises(runcard.UsageError, match="nests more than 32 levels deep"):
        remote.runs(filters=deep_and(3000))
    with pytest.raises(runcard.UsageError, match="'nope'"):
        remote.runs(keys=["nope"])
    assert [r.config for r in remote.runs(filters=deep_and(15), keys=["config"])] == [{"lr": 0.1}]
    assert stored_runs(server_store) == ["e/p/r1"]
