"""The Starlette app: a read-only JSON API under /api and the static front end at /."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import runcard
from runcard import _filters
from runcard._store._query import MAX_NESTING, MAX_VALUES, check_size
from runcard.web import _analysis, _charts, _curves
from runcard.web._catalog import Catalog
from runcard.web._feed import IDS_PER_QUERY
from runcard.web._values import json_safe

STATIC = Path(__file__).parent / "static"
MAX_LIMIT = 1000
MAX_POINTS = 5000
MAX_DIFF_RUNS = 100
MAX_BAND_RUNS = 200
MAX_HISTORY_KEYS = 100


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(json_safe(data), allow_nan=False, separators=(",", ":"), default=str)
    return Response(body, status_code=status, media_type="application/json")


def parse_filter(text: str | None) -> dict[str, Any] | None:
    """A MongoDB-style JSON object, or the CLI's filter syntax (`config.lr>=0.01 and ...`)."""
    if text is None or not text.strip():
        return None
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:  # also an int of more digits than Python reads
            raise ApiError(400, f"filter is not valid JSON: {exc}") from None
        except RecursionError:
            raise ApiError(400, "filter nests too deeply") from None
        if not isinstance(value, dict):
            raise ApiError(400, "filter must be a JSON object")
    else:
        try:
            value = _filters.parse_filter(text)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    # the live feed wraps it in two $and, with a state test and up to IDS_PER_QUERY ids
    check_size(value, MAX_VALUES - IDS_PER_QUERY - 1, MAX_NESTING - 4)
    return value


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {raw!r}") from None
    return max(low, min(high, value))


def _list(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _x_axis(request: Request) -> str:
    """The x of /api/curves: step (default), wall, relative, or a logged key."""
    x = request.query_params.get("x") or "step"
    return {"step": "_step", "wall": "_timestamp", "relative": "_relative"}.get(x, x)


def create_app(dir: str | None = None, allowed_hosts: list[str] | None = None) -> Starlette:
    """The app over the store under `dir` (else $RUNCARD_DIR, else ~/.runcard). With
    `allowed_hosts`, requests whose Host header names another host get a 400 (a web page
    cannot reach a loopback server through DNS rebinding)."""
    catalog = Catalog(dir)

    def endpoint(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            try:
                with catalog.answering():
                    answer = json_response(handler(request))
                answer.background = BackgroundTask(catalog.start_wanted_reads)
                return answer
            except ApiError as exc:
                return json_response({"error": exc.message}, exc.status)
            except runcard.RunNotFoundError as exc:
                return json_response({"error": str(exc)}, 404)
            except (runcard.UsageError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
            except runcard.Error as exc:
                return json_response({"error": str(exc)}, 500)

        return wrapped

    def project(request: Request) -> str | None:
        return request.query_params.get("project") or None

    def projects(request: Request) -> Any:
        return {"projects": catalog.projects()}

    def runs(request: Request) -> Any:
        return catalog.runs_page(
            project(request),
            parse_filter(request.query_params.get("filter")),
            request.query_params.get("sort") or None,
            _int(request, "offset", 0, 0, 10**9),
            _int(request, "limit", 50, 1, MAX_LIMIT),
        )

    def groups(request: Request) -> Any:
        by = _list(request, "by")
        all_except = _list(request, "all_except")
        if not by and not all_except:
            raise ApiError(400, "give by=config.<key> (one or more) or all_except=config.<key>")
        return catalog.groups(
            project(request),
            parse_filter(request.query_params.get("filter")),
            by,
            all_except,
            _list(request, "metric"),
        )

    def diff(request: Request) -> Any:
        paths = _list(request, "runs")
        if not 1 <= len(paths) <= MAX_DIFF_RUNS:
            raise ApiError(400, f"give runs=PATH,PATH,... (1 to {MAX_DIFF_RUNS} runs)")
        return catalog.diff(paths)

    def run(request: Request) -> Any:
        return _charts.run_detail(catalog.api, request.path_params["path"])

    def series(request: Request) -> Any:
        paths = _list(request, "runs")
        key = request.query_params.get("key")
        if not paths or not key:
            raise ApiError(400, "give runs=PATH,... and key=METRIC")
        return _charts.series(catalog.api, paths, key, _int(request, "points", 500, 2, MAX_POINTS))

    def band(request: Request) -> Any:
        paths = _list(request, "runs")
        key = request.query_params.get("key")
        if not 1 <= len(paths) <= MAX_BAND_RUNS or not key:
            raise ApiError(400, f"give runs=PATH,... (1 to {MAX_BAND_RUNS}) and key=METRIC")
        return _charts.band(catalog.api, paths, key, _int(request, "points", 200, 2, MAX_POINTS))

    def importance(request: Request) -> Any:
        filters = parse_filter(request.query_params.get("filter"))
        metric = request.query_params.get("metric") or None
        return _analysis.importance(
            catalog.api, project(request), filters, metric, _list(request, "keys")
        )

    def curves(request: Request) -> Any:
        paths, key, x = _list(request, "runs"), request.query_params.get("key"), _x_axis(request)
        if not 1 <= len(paths) <= MAX_BAND_RUNS or not key:
            raise ApiError(400, f"give runs=PATH,... (1 to {MAX_BAND_RUNS}) and key=METRIC")
        if request.query_params.get("spread"):  # a group's mean, ± std, min and max
            return _curves.spread(catalog.api, paths, key, x, _int(request, "points", 200, 2, 2000))
        return _curves.curves(
            catalog.api, paths, key, x, _int(request, "points", 500, 2, MAX_POINTS)
        )

    def changes(request: Request) -> Any:
        return catalog.changes(
            project(request),
            parse_filter(request.query_params.get("filter")),
            request.query_params.get("token") or None,
        )

    def history(request: Request) -> Any:
        path = request.query_params.get("run")
        keys = _list(request, "keys")
        if not path or len(keys) > MAX_HISTORY_KEYS:
            raise ApiError(400, f"give run=PATH (and up to {MAX_HISTORY_KEYS} keys=METRIC,...)")
        return _charts.history(
            catalog.api,
            path,
            keys,
            _int(request, "since_step", -1, -(2**63), 2**63 - 1),
            _int(request, "points", 1000, 2, MAX_POINTS),
        )

    def points(request: Request) -> Any:
        return catalog.points(
            project(request),
            parse_filter(request.query_params.get("filter")),
            _list(request, "keys"),
        )

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return json_response({"error": exc.detail}, exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        return json_response({"error": "internal error"}, 500)

    routes = [
        Route("/", index),
        Route("/api/projects", endpoint(projects)),
        Route("/api/runs", endpoint(runs)),
        Route("/api/groups", endpoint(groups)),
        Route("/api/diff", endpoint(diff)),
        Route("/api/run/{path:path}", endpoint(run)),
        Route("/api/series", endpoint(series)),
        Route("/api/band", endpoint(band)),
        Route("/api/points", endpoint(points)),
        Route("/api/changes", endpoint(changes)),
        Route("/api/importance", endpoint(importance)),
        Route("/api/curves", endpoint(curves)),
        Route("/api/history", endpoint(history)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: not_found, Exception: server_error},
    )
    app.state.catalog = catalog
    return app
