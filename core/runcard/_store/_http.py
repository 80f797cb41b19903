"""Talking to a tracking server (`runcard server`): the HTTP client, and the read side of a
`Store` served by it, so that `Api(url=...)` reads remote runs as it reads local ones.

Plain `urllib`: the client needs nothing beyond the standard library. Every request carries
the API key (when there is one) as a bearer token; bytes travel as base64 inside JSON.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from runcard._errors import RunNotFoundError, ServerError, UsageError
from runcard._history import EncodedChunk
from runcard._store import _common

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._config import Revision

API = "/api/v1"
CHUNKS_PER_READ = 64  # a history read is paged: one answer never holds a whole long run


class Client:
    """JSON over HTTP to one server: `Client(url, api_key)`."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"tracking server URL {url!r}: give http://host:port")
        self.url = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout

    def call(self, path: str, body: Any) -> Any:
        data = json.dumps(body, separators=(",", ":")).encode()
        request = urllib.request.Request(
            self.url + API + path, data=data, method="POST", headers=self._headers()
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise ServerError(
                f"{self.url}{API}{path}: HTTP {exc.code}: {_reason(exc)}", exc.code
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerError(f"cannot reach the runcard server at {self.url}: {reason}") from None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, TypeError, OSError):
        return str(exc.reason)


# -- chunks on the wire -------------------------------------------------------------------------
def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text, validate=True)


def chunk_to_wire(chunk: EncodedChunk) -> list[Any]:
    return [
        chunk.index,
        chunk.rows,
        chunk.min_step,
        chunk.max_step,
        _b64(chunk.steps),
        _b64(chunk.times),
        [[key, kind, _b64(positions), _b64(data)] for key, kind, positions, data in chunk.columns],
    ]


def chunk_from_wire(item: list[Any]) -> EncodedChunk:
    """The chunk a peer sent; ValueError (naming what is wrong) when it is malformed."""
    try:
        index, rows, min_step, max_step, steps, times, columns = item
        numbers = (index, rows, min_step, max_step)
        if not all(type(n) is int and -(2**63) <= n < 2**63 for n in numbers):
            raise ValueError("chunk numbers must be 64-bit integers")
        if rows <= 0 or index < 0:
            raise ValueError("a chunk's rows and index must be positive")
        decoded = []
        for key, kind, positions, data in columns:
            if not isinstance(key, str) or kind not in ("f8", "i8", "b1", "json"):
                raise ValueError(f"column {key!r} of kind {kind!r}")
            decoded.append((key, kind, _bytes(positions), _bytes(data)))
        return EncodedChunk(index, rows, min_step, max_step, _bytes(steps), _bytes(times), decoded)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"malformed history chunk: {exc}") from None


# the answers that are the caller's mistake (a filter or a field the server refused, a run
# already gone), by method: runcard's own error then
_CALLERS_FAULT: dict[str, tuple[int, type[Exception]]] = {
    "query_runs": (400, UsageError),
    "count_runs": (400, UsageError),
    "run_pks": (400, UsageError),
    "runs_by_pk": (400, UsageError),
    "group_runs": (400, UsageError),
    "edit_run": (400, UsageError),
    "delete_run": (404, RunNotFoundError),
}


# -- the read side of a Store, served ---------------------------------------------------------
class RemoteStore:
    """What `runcard.Api` needs of a store, asked of a server."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.path = client.url
        self.exists = True

    def _store(self, method: str, **args: Any) -> Any:
        try:
            return self.client.call(f"/store/{method}", args)
        except ServerError as exc:
            status, error = _CALLERS_FAULT.get(method, (None, None))
            if error is not None and exc.status == status:
                raise error(str(exc)) from None
            raise

    def find_run(
        self, entity: str | None, project: str | None, run_id: str
    ) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._store(
            "find_run", entity=entity, project=project, run_id=run_id
        )
        return found

    def query_runs(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str | None,
        limit: int | None = None,
        keys: list[str] | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self._store(
            "query_runs",
            entity=entity,
            project=project,
            filters=filters,
            order=order,
            limit=limit,
            keys=keys,
            offset=offset,
        )
        return runs

    def count_runs(
        self, entity: str | None, project: str | None, filters: dict[str, Any] | None
    ) -> int:
        return int(self._store("count_runs", entity=entity, project=project, filters=filters))

    def run_pks(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        order: str | None,
    ) -> list[int]:
        pks: list[int] = self._store(
            "run_pks", entity=entity, project=project, filters=filters, order=order
        )
        return pks

    def runs_by_pk(self, pks: list[int], keys: list[str] | None = None) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self._store("runs_by_pk", pks=pks, keys=keys)
        return runs

    def group_runs(
        self,
        entity: str | None,
        project: str | None,
        filters: dict[str, Any] | None,
        by: list[str],
        metrics: list[str],
    ) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = self._store(
            "group_runs",
            entity=entity,
            project=project,
            filters=filters,
            by=by,
            metrics=metrics,
        )
        return groups

    def projects(self) -> list[tuple[str, str, int]]:
        return [(entity, project, count) for entity, project, count in self._store("projects")]

    def revisions(self, pk: int, scope: str) -> list[dict[str, Any]]:
        revisions: list[dict[str, Any]] = self._store("revisions", pk=pk, scope=scope)
        for revision in revisions:
            revision["path"] = tuple(revision["path"])
        return revisions

    def chunks_after(
        self,
        pk: int,
        after: int,
        grown: dict[int, int],
        limit: int,
        keys: list[str] | None = None,
    ) -> list[EncodedChunk]:
        if grown:
            raise UsageError("a server's chunks are read in order only")
        page = self._store("chunks_after", pk=pk, after=after, limit=limit, keys=keys)
        return [chunk_from_wire(item) for item in page]

    def history(
        self, pk: int, keys: list[str] | None = None, times: bool = True
    ) -> list[tuple[list[int], list[float], dict[str, tuple[Any, list[Any]]]]]:
        chunks = list(_common.all_chunks(self, pk, keys, CHUNKS_PER_READ))  # type: ignore[arg-type]
        return _common.decode_history(
            [(c.index or 0, c.rows, c.steps, c.times) for c in chunks],
            [(column[0], c.index or 0, *column[1:]) for c in chunks for column in c.columns],
            times,
        )

    def last_step(self, pk: int) -> int | None:
        step: int | None = self._store("last_step", pk=pk)
        return step

    def edit_run(
        self,
        pk: int,
        fields: dict[str, Any],
        revisions: list[Revision],
        summary_revisions: list[Revision],
    ) -> None:
        self._store(
            "edit_run",
            pk=pk,
            fields=fields,
            revisions=revisions,
            summary_revisions=summary_revisions,
        )

    def delete_run(self, pk: int) -> None:
        self._store("delete_run", pk=pk)

    def close(self) -> None:
        pass
