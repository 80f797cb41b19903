"""The tracking server's ASGI app: the logging API under /api/v1 and the web app beside it.

Clients push runs (see `runcard._sync`) and read through `/api/v1/store/<method>`, which
answers the read side of a `Store` (see `runcard._remote.RemoteStore`). Every handler runs in
a worker thread with that thread's own store connection. With API keys configured, every
request, the web pages included, must carry one (bearer token, or HTTP basic auth password for
browsers); keys are compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

import runcard
from runcard._convert import dumps
from runcard._remote import chunk_from_wire, chunk_to_wire
from runcard._store import _fields, open_store

MAX_BODY_BYTES = 32 * 2**20
MAX_CHUNKS_PER_READ = 256
RUN_KEYS = ("entity", "project", "run_id")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _Stores:
    """One store per worker thread: connections are not shared between threads."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = threading.local()

    def get(self) -> Any:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self._url)
        return store


def create_server_app(
    store_url: str,
    api_keys: list[str] | None = None,
    max_body: int = MAX_BODY_BYTES,
    allowed_hosts: list[str] | None = None,
) -> Any:
    stores = _Stores(store_url)
    stores.get()  # create the schema now, and fail now on a bad store URL

    def api(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                body = await _read_json(request, max_body)
                result = await run_in_threadpool(lambda: handler(stores.get(), body))
                # runcard's JSON: a stored ±inf (a heartbeat interval, say) as ±1e999, not a 500
                return Response(dumps(result), media_type="application/json")
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, exc.status)
            except runcard.RunNotFoundError as exc:
                return JSONResponse({"error": str(exc)}, 404)
            except runcard.UsageError as exc:
                return JSONResponse({"error": str(exc)}, 400)
            except runcard.Error as exc:
                return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, 503)

        return endpoint

    from runcard.web._app import create_app

    web = create_app(store_url, allowed_hosts=allowed_hosts)
    routes = [
        Route("/api/v1/cursor", api(_cursor), methods=["POST"]),
        Route("/api/v1/push", api(_push), methods=["POST"]),
        Route("/api/v1/verify", api(_verify), methods=["POST"]),
        Route("/api/v1/store/{method}", _store_endpoint(api), methods=["POST"]),
        Mount("/", app=web),
    ]
    app = Starlette(routes=routes)
    app.state.catalog = web.state.catalog
    return _Guard(app, api_keys or [], max_body)


async def _read_json(request: Request, limit: int) -> dict[str, Any]:
    size = 0
    parts = []
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise BadRequest(f"request body over {limit:,} bytes", 413)
        parts.append(part)
    try:
        body = json.loads(b"".join(parts) or b"{}")
    except ValueError as exc:
        raise BadRequest(f"request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def _field(body: dict[str, Any], name: str, kind: Any) -> Any:
    if name not in body:
        raise BadRequest(f"{name!r} is missing")
    value = body[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise BadRequest(f"{name!r} has the wrong type ({type(value).__name__})")
    return value


def _run_key(body: dict[str, Any]) -> list[str]:
    return [_field(body, name, str) for name in RUN_KEYS]


# -- logging API ---------------------------------------------------------------------------------
def _cursor(store: Any, body: dict[str, Any]) -> Any:
    return store.push_cursor(_field(body, "origin", str), *_run_key(body))


def _push(store: Any, body: dict[str, Any]) -> Any:
    origin = _field(body, "origin", str)
    sent_at = _field(body, "sent_at", (int, float))
    run = _field(body, "run", dict)
    _fields.check_pushed(run)  # a UsageError: a 400 naming the field
    if not 0 <= sent_at <= _fields.LATEST_TIME:
        raise BadRequest(f"'sent_at' must be a time since 1970, not {sent_at!r}")
    run = dict(run)
    # the crash rule compares heartbeats with this server's clock: move it off the client's
    run["heartbeat_at"] = _fields.in_time_range(run["heartbeat_at"] + time.time() - sent_at)
    revisions = []
    for item in _field(body, "revisions", list):
        if (
            not isinstance(item, list)
            or len(item) != 3
            or type(item[0]) is not int
            or item[1] not in ("config", "summary", "run")
            or not isinstance(item[2], str)
        ):
            raise BadRequest("revisions must be [number, 'config'|'summary'|'run', entries]")
        try:
            entries = json.loads(item[2])
            if not all(isinstance(e, list) and len(e) == 6 for e in entries):
                raise ValueError
        except ValueError:
            raise BadRequest(f"revision batch {item[0]}: entries are malformed") from None
        revisions.append(tuple(item))
    try:
        chunks = [chunk_from_wire(item) for item in _field(body, "chunks", list)]
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return store.apply_push(origin, run, revisions, chunks)


def _verify(store: Any, body: dict[str, Any]) -> Any:
    origin = _field(body, "origin", str)
    return [store.origin_digest(origin, *_run_key(run)) for run in _field(body, "runs", list)]


# -- the read side of the store, for Api(url=...) ----------------------------------------------
def _store_endpoint(api: Any) -> Any:
    calls = {
        "find_run": lambda s, b: s.find_run(b.get("entity"), b.get("project"), b["run_id"]),
        "query_runs": lambda s, b: s.query_runs(
            b.get("entity"),
            b.get("project"),
            b.get("filters"),
            b.get("order"),
            b.get("limit"),
            b.get("keys"),
        ),
        "projects": lambda s, b: s.projects(),
        "revisions": lambda s, b: s.revisions(b["pk"], b["scope"]),
        "chunks_after": lambda s, b: [
            chunk_to_wire(chunk)
            for chunk in s.chunks_after(
                b["pk"], b["after"], {}, min(int(b["limit"]), MAX_CHUNKS_PER_READ), b.get("keys")
            )
        ],
        "last_step": lambda s, b: s.last_step(b["pk"]),
        "edit_run": lambda s, b: s.edit_run(
            b["pk"],
            b["fields"],
            [tuple(r) for r in b["revisions"]],
            [tuple(r) for r in b["summary_revisions"]],
        ),
        "delete_run": lambda s, b: s.delete_run(b["pk"]),
    }
    handlers = {name: api(_checked(call)) for name, call in calls.items()}

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.path_params["method"])
        if handler is None:
            return JSONResponse({"error": "no such store method"}, 404)
        response: Response = await handler(request)
        return response

    return endpoint


def _checked(call: Any) -> Any:
    def run(store: Any, body: dict[str, Any]) -> Any:
        try:
            return call(store, body)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest(f"bad arguments: {type(exc).__name__}: {exc}") from None

    return run


# -- API keys and body size ----------------------------------------------------------------------
class _Guard:
    """ASGI middleware: refuse requests without a valid key (when keys are set) and bodies
    declared larger than the limit, before the app sees them."""

    def __init__(self, app: Any, api_keys: list[str], max_body: int) -> None:
        self.app = app
        self.state = app.state
        self._keys = [key.encode() for key in api_keys]
        self._max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self._keys and not self._authorized(headers.get(b"authorization", b"")):
            api = scope["path"].startswith("/api/")
            response: Response = JSONResponse(
                {"error": "missing or wrong API key"},
                401,
                headers=None if api else {"WWW-Authenticate": 'Basic realm="runcard"'},
            )
            await response(scope, receive, send)
            return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self._max_body):
            response = JSONResponse({"error": f"request body over {self._max_body:,} bytes"}, 413)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: bytes) -> bool:
        import base64

        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"basic":
            try:
                value = base64.b64decode(value, validate=True).partition(b":")[2]
            except ValueError:
                return False
        elif scheme.lower() != b"bearer":
            return False
        found = False
        for key in self._keys:  # every key compared, in constant time each
            found |= hmac.compare_digest(value, key)
        return found
