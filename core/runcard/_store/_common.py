"""What the stores share above their SQL: the same rows become the same answers whichever
database (or server) they came from."""

from __future__ import annotations

from runcard._config import key_path
from runcard._convert import loads
from runcard._history import (
    decode_column,
    decode_positions,
    decode_steps,
    decode_times,
)
from runcard._store._query import check_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from runcard._history import EncodedChunk
    from runcard._store._base import Store

    History = list[tuple[list[int], list[float], dict[str, tuple[Any, list[Any]]]]]


def find_run(store: Store, entity: str | None, project: str | None, run_id: str) -> Any:
    """A run by id, within `entity` / `project` when given, as `store.query_runs` gives it."""
    filters: dict[str, Any] = {"run_id": run_id}
    if entity:
        filters["entity"] = entity
    if project:
        filters["project"] = project
    rows = store.query_runs(None, None, filters, None)
    return rows[0] if rows else None


def stored_tags(text: Any) -> list[Any]:
    """A run's stored tags (JSON text); none where that is not a JSON list (a value written
    into the database by hand, say), so that it cannot break reading the run."""
    if text == "[]":
        return []
    try:
        tags = loads(text)
    except (TypeError, ValueError):
        return []
    return tags if isinstance(tags, list) else []


def scoped(
    entity: str | None, project: str | None, filters: dict[str, Any] | None
) -> dict[str, Any] | None:
    """`filters` restricted to `entity` / `project` when given; UsageError for a filter past
    `_query`'s bounds, counted on the filter as given."""
    check_size(filters)
    scope: dict[str, Any] = {}
    if entity:
        scope["entity"] = entity
    if project:
        scope["project"] = project
    return {"$and": [scope, filters]} if scope and filters else (scope or filters)


def revision_dicts(batches: Iterable[str]) -> list[dict[str, Any]]:
    """The stored revision batches (JSON lists of [key, value, source, detail, step, time]),
    oldest first, as one dict per revision."""
    result = []
    for entries in batches:
        for key, value, source, detail, step, t in loads(entries):
            path = key_path(key)
            result.append(
                {
                    "key": ".".join(path),
                    "path": path,
                    "value": value,
                    "source": source,
                    "detail": detail,
                    "step": step,
                    "time": t,
                }
            )
    return result


def decode_history(
    chunk_rows: Iterable[tuple[int, int, bytes, bytes]],
    column_rows: Iterable[tuple[str, int, str, bytes | None, bytes]],
    times: bool,
) -> History:
    """Chunks (number, rows, steps, times) and columns (key, chunk, kind, positions, data)
    as `Store.history` gives them: (steps, times, {key: (row positions, values)}) per chunk."""
    chunks: dict[int, tuple[list[int], list[float], dict[str, Any]]] = {}
    rows_of: dict[int, int] = {}
    for chunk, rows, steps, stamps in chunk_rows:
        chunks[chunk] = (decode_steps(steps), decode_times(stamps) if times else [], {})
        rows_of[chunk] = rows
    for key, chunk, kind, positions, data in column_rows:
        if chunk in chunks:
            chunks[chunk][2][key] = (
                decode_positions(positions, rows_of[chunk]),
                decode_column(kind, data),
            )
    return list(chunks.values())


def chunks_to_send(
    candidates: Iterable[tuple[Any, ...]], after: int, grown: dict[int, int], limit: int
) -> list[tuple[Any, ...]]:
    """Of chunk rows (number, rows, ...) numbered above `after` or in `grown`, those numbered
    above `after` or holding more rows than `grown` says, at most `limit`."""
    wanted = [row for row in candidates if row[0] > after or row[1] > grown.get(row[0], row[1])]
    return wanted[:limit]


def all_chunks(
    store: Store, pk: int, keys: list[str] | None = None, page: int = 64
) -> Iterator[EncodedChunk]:
    """A run's stored chunks in order, read `page` at a time."""
    after = -1
    while True:
        chunks = store.chunks_after(pk, after, {}, page, keys)
        yield from chunks
        if len(chunks) < page:
            return
        after = chunks[-1].index or 0


def digest(chunks: Iterable[EncodedChunk]) -> dict[str, Any]:
    """Rows and SHA-256 of stored chunks, in order: two stores hold the same chunks when
    these agree (`runcard sync --verify`)."""
    import hashlib  # here: OpenSSL costs a logging process 3 MiB

    checksum = hashlib.sha256()
    rows = 0
    for chunk in chunks:
        rows += chunk.rows
        checksum.update(chunk.steps)
        checksum.update(chunk.times)
        for key, kind, positions, data in sorted(chunk.columns, key=lambda column: column[0]):
            checksum.update(f"{len(key)}:{key}{kind}".encode())
            checksum.update(positions or b"")
            checksum.update(data)
    return {"rows": rows, "sha256": checksum.hexdigest()}
