"""A keyless `runcard server` on loopback, and a page of another origin (another loopback port)
that tries to rename one run and delete another with fetch() in Chromium: nothing changes.
The server's own pages and clients that are not browsers still write."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_data import serving_app

import runcard
from runcard.server._app import create_server_app

ATTACK = """<!doctype html><title>elsewhere</title><script>
const target = "%(target)s/api/v1/store/";
async function attempt(method, body, headers, mode) {
  try {
    const answer = await fetch(target + method, {
      method: "POST", body: JSON.stringify(body), headers: headers, mode: mode});
    return answer.type + " " + answer.status;
  } catch (exc) {
    return "failed";
  }
}
(async () => {
  const rename = {pk: %(victim)d, fields: {name: "pwned"}, revisions: [], summary_revisions: []};
  const remove = {pk: %(other)d};
  const plain = {"Content-Type": "text/plain"};
  const typed = {"Content-Type": "application/json"};
  window.results = [
    await attempt("edit_run", rename, plain, "no-cors"),
    await attempt("delete_run", remove, plain, "no-cors"),
    await attempt("edit_run", rename, typed, "cors"),
    await attempt("delete_run", remove, typed, "cors"),
  ];
})();
</script>"""


@contextlib.contextmanager
def page_elsewhere(html: str) -> Iterator[str]:
    """`html` served at / of another loopback port: its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def runs(store_dir: Path) -> dict[str, str]:
    paths = {}
    for name in ("victim", "other"):
        run = runcard.init(project="p", name=name, config={"lr": 0.1})
        run.log({"loss": 1.0})
        run.finish()
        paths[name] = run.path
    return paths


@pytest.fixture
def served(store_dir: Path) -> Iterator[str]:
    app = create_server_app(str(store_dir), allowed_hosts=["127.0.0.1", "localhost", "::1"])
    with serving_app(app) as url:
        yield url


def pk(url: str, path: str) -> int:
    entity, project, run_id = path.split("/")
    found = httpx.post(
        f"{url}/api/v1/store/find_run",
        json={"entity": entity, "project": project, "run_id": run_id},
    )
    assert found.status_code == 200, found.text
    return int(found.json()["pk"])


def names(store_dir: Path) -> list[str]:
    return sorted(run.name for run in runcard.Api(dir=str(store_dir)).runs())


def test_a_page_of_another_origin_cannot_write(
    page: Any, served: str, runs: dict[str, str], store_dir: Path
) -> None:
    answered: list[tuple[str, int]] = []
    page.on("response", lambda r: answered.append((r.request.method, r.status)))
    victim, other = pk(served, runs["victim"]), pk(served, runs["other"])
    html = ATTACK % {"target": served, "victim": victim, "other": other}
    with page_elsewhere(html) as attacker:
        page.goto(attacker)
        page.wait_for_function("window.results !== undefined", timeout=20_000)
        results = page.evaluate("window.results")
    assert names(store_dir) == ["other", "victim"]
    # the simple requests reached the server and were refused; the JSON ones never left the
    # browser, as their preflight was not answered
    assert results == ["opaque 0", "opaque 0", "failed", "failed"]
    assert answered.count(("POST", 403)) == 2
    assert ("POST", 200) not in answered

    # the server's own page writes as before
    page.goto(served + "/")
    status = page.evaluate(
        """async ([url, pk]) => (await fetch(url + "/api/v1/store/edit_run", {method: "POST",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({pk: pk, fields: {name: "renamed"}, revisions: [],
                                   summary_revisions: []})})).status""",
        [served, victim],
    )
    assert status == 200
    assert names(store_dir) == ["other", "renamed"]


def test_clients_that_are_not_browsers_write_json_only(
    served: str, runs: dict[str, str], store_dir: Path
) -> None:
    url = f"{served}/api/v1/store/edit_run"
    body = {"pk": pk(served, runs["victim"]), "revisions": [], "summary_revisions": []}
    rename = json.dumps({**body, "fields": {"name": "x"}})
    assert httpx.post(url, content=rename).status_code == 415
    assert (
        httpx.post(url, content=rename, headers={"Content-Type": "text/plain"}).status_code == 415
    )
    foreign = {"Origin": "http://127.0.0.1:9", "Content-Type": "application/json"}
    answer = httpx.post(url, content=rename, headers=foreign)
    assert answer.status_code == 403
    assert "Origin: http://127.0.0.1:9" in answer.json()["error"]
    assert names(store_dir) == ["other", "victim"]
    own = {"Origin": served, "Content-Type": "application/json"}
    assert httpx.post(url, content=rename, headers=own).status_code == 200
    assert httpx.post(url, json={**body, "fields": {"name": "y"}}).status_code == 200
    assert names(store_dir) == ["other", "y"]
