"""The tracking server's ASGI app: the logging API under /api/v1 and the web app beside it.

Clients push runs (see `runcard._sync`) and read through `/api/v1/store/<method>`, which
answers the read side of a `Store` (see `runcard._store._http.RemoteStore`). Every handler runs in
a worker thread with that thread's own store connection. With API keys configured, every
request, the web pages included, must carry one (bearer token, or HTTP basic auth password for
browsers); keys are compared in constant time. Writes must be JSON and come from no other
origin (see `runcard.web._guard`); a malformed body is a 400 naming what is wrong.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

import runcard
from runcard._convert import dumps
from runcard._store import _fields, open_store
from runcard._store._http import chunk_to_wire
from runcard.server._parse import (
    BadRequest,
    chunk,
    entries,
    integer,
    number,
    optional,
    read_json_text,
    revision_batches,
    scope,
    strings,
    text,
)
from runcard.server._parse import field as _field
from runcard.server._sweeps import CALLS as sweep_calls
from runcard.web._guard import MAX_BODY_BYTES, Guard

MAX_CHUNKS_PER_READ = 256
RUN_KEYS = ("entity", "project", "run_id")


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
            except UnicodeEncodeError:  # raised binding a value: nothing was written
                message = "text that is not Unicode (a lone surrogate such as \\ud800)"
                return JSONResponse({"error": f"the request holds {message}"}, 400)
            except runcard.RunNotFoundError as exc:
                return JSONResponse({"error": str(exc)}, 404)
            except runcard.UsageError as exc:
                return JSONResponse({"error": str(exc)}, 400)
            except runcard.Error as exc:
                return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, 503)

        return endpoint

    from runcard.web._app import create_app

    web = create_app(store_url)
    routes = [
        Route("/api/v1/cursor", api(_cursor), methods=["POST"]),
        Route("/api/v1/push", api(_push), methods=["POST"]),
        Route("/api/v1/verify", api(_verify), methods=["POST"]),
        Route("/api/v1/store/{method}", _store_endpoint(api), methods=["POST"]),
        Route("/api/v1/sweeps/{method}", _methods(api, sweep_calls), methods=["POST"]),
        Mount("/", app=web),
    ]
    # on loopback, only Host headers naming loopback are served (no DNS rebinding), the logging
    # API's included
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.catalog = web.state.catalog
    return Guard(app, api_keys or [], max_body)


async def _read_json(request: Request, limit: int) -> dict[str, Any]:
    size = 0
    parts = []
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise BadRequest(f"request body over {limit:,} bytes", 413)
        parts.append(part)
    body = read_json_text(b"".join(parts) or b"{}", "request body")
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def _run_key(body: dict[str, Any]) -> list[str]:
    return [_field(body, name, str) for name in RUN_KEYS]


# -- logging API ---------------------------------------------------------------------------------
def _cursor(store: Any, body: dict[str, Any]) -> Any:
    return store.push_cursor(text(body, "origin"), *_run_key(body))


def _push(store: Any, body: dict[str, Any]) -> Any:
    origin = text(body, "origin")
    sent_at = number(body, "sent_at")
    run = _field(body, "run", dict)
    _fields.check_pushed(run)  # a UsageError: a 400 naming the field
    if not 0 <= sent_at <= _fields.LATEST_TIME:
        raise BadRequest(f"'sent_at' must be a time since 1970, not {sent_at!r}")
    run = dict(run)
    # the crash rule compares heartbeats with this server's clock: move it off the client's
    run["heartbeat_at"] = _fields.in_time_range(run["heartbeat_at"] + time.time() - sent_at)
    revisions = revision_batches(_field(body, "revisions", list))
    chunks = [chunk(item) for item in _field(body, "chunks", list)]
    return store.apply_push(origin, run, revisions, chunks)


def _verify(store: Any, body: dict[str, Any]) -> Any:
    origin = text(body, "origin")
    runs = _field(body, "runs", list)
    if not all(isinstance(run, dict) for run in runs):
        raise BadRequest("'runs' must be a list of objects")
    return [store.origin_digest(origin, *_run_key(run)) for run in runs]


# -- the read side of the store, for Api(url=...) ----------------------------------------------
def _scope(body: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any] | None]:
    return (
        optional(body, "entity", str),
        optional(body, "project", str),
        optional(body, "filters", dict),
    )


def _pks(body: dict[str, Any]) -> list[int]:
    pks = _field(body, "pks", list)
    if not all(type(pk) is int for pk in pks):
        raise BadRequest("'pks' must be a list of integers")
    return pks


def _store_endpoint(api: Any) -> Any:
    calls = {
        "find_run": lambda s, b: s.find_run(
            optional(b, "entity", str), optional(b, "project", str), _field(b, "run_id", str)
        ),
        "query_runs": lambda s, b: s.query_runs(
            optional(b, "entity", str),
            optional(b, "project", str),
            optional(b, "filters", dict),
            optional(b, "order", str),
            None if b.get("limit") is None else integer(b, "limit", 0),
            strings(b, "keys"),
            0 if b.get("offset") is None else integer(b, "offset", 0),
        ),
        "count_runs": lambda s, b: s.count_runs(*_scope(b)),
        "run_pks": lambda s, b: s.run_pks(*_scope(b), optional(b, "order", str)),
        "runs_by_pk": lambda s, b: s.runs_by_pk(_pks(b), strings(b, "keys")),
        "group_runs": lambda s, b: s.group_runs(
            *_scope(b), strings(b, "by") or [], strings(b, "metrics") or []
        ),
        "projects": lambda s, b: s.projects(),
        "revisions": lambda s, b: s.revisions(integer(b, "pk"), scope(b)),
        "chunks_after": lambda s, b: [
            chunk_to_wire(chunk)
            for chunk in s.chunks_after(
                integer(b, "pk"),
                integer(b, "after"),
                {},
                min(integer(b, "limit", 0), MAX_CHUNKS_PER_READ),
                strings(b, "keys"),
            )
        ],
        "last_step": lambda s, b: s.last_step(integer(b, "pk")),
        "edit_run": lambda s, b: s.edit_run(
            integer(b, "pk"),
            _field(b, "fields", dict),
            entries(_field(b, "revisions", list), "revisions"),
            entries(_field(b, "summary_revisions", list), "summary_revisions"),
        ),
        "delete_run": lambda s, b: s.delete_run(integer(b, "pk")),
    }
    return _methods(api, calls)


def _methods(api: Any, calls: dict[str, Any]) -> Any:
    """One endpoint for `calls`, by the request's {method}."""
    handlers = {name: api(_checked(call)) for name, call in calls.items()}

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.path_params["method"])
        if handler is None:
            return JSONResponse({"error": "no such method"}, 404)
        response: Response = await handler(request)
        return response

    return endpoint


def _checked(call: Any) -> Any:
    def run(store: Any, body: dict[str, Any]) -> Any:
        try:
            return call(store, body)
        except UnicodeEncodeError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest(f"bad arguments: {type(exc).__name__}: {exc}") from None

    return run
