"""Runs brought in from another tracker, stored once however often they are imported.

An importer (`runcard._import_tensorboard`, ...) reads its tool's files with that tool's own
reader and hands each run here as a `SourceRun`. It is stored the way `runcard sync` stores a
pushed run (`Store.apply_push`), with the tool as the pushing origin: the history goes in chunks
numbered in the source's order, so importing again skips the chunks already taken and stores
only rows the source gained since; config values are revisions (source `import:<tool>`, the
source's raw text as the detail), added only where the source's value changed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from runcard._config import _leaves, revision_key
from runcard._convert import dumps, loads
from runcard._history import CHUNK_ROWS, Chunk
from runcard._store import _common

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from runcard._history import EncodedChunk
    from runcard._store import Store

CHUNKS_PER_WRITE = 32
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class SourceRun:
    """One run as another tool recorded it."""

    tool: str  # "tensorboard", "mlflow", "wandb"
    source_id: str  # the source's own id of the run: a logdir path, an MLflow run id, ...
    name: str
    created_at: float
    config: dict[str, Any] = field(default_factory=dict)
    # the source's own text of a config value, by dotted key, where it was converted
    config_details: dict[str, str] = field(default_factory=dict)
    # (step, wall time, {key: value}) in the source's order
    rows: list[tuple[int, float, dict[str, Any]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    group: str | None = None
    state: str = "finished"
    finished_at: float | None = None
    host: dict[str, Any] = field(default_factory=dict)


@dataclass
class Imported:
    """What one import stored of a run: nothing at all when the source has not changed."""

    run_id: str
    new_run: bool
    rows: int
    config_keys: int


def run_id_for(tool: str, source_id: str) -> str:
    """The runcard id of an imported run: the source's id where it is a plain one (MLflow's and
    wandb's are), else a digest of it (a TensorBoard run's folder)."""
    if _PLAIN_ID.fullmatch(source_id):
        return source_id
    return hashlib.sha256(f"{tool}:{source_id}".encode()).hexdigest()[:16]


def store_run(store: Store, entity: str, project: str, run: SourceRun) -> Imported:
    """Store `run`, or what it gained since the last import of it."""
    run_id = run_id_for(run.tool, run.source_id)
    origin = f"import:{run.tool}"
    cursor = store.push_cursor(origin, entity, project, run_id)
    stored_config: dict[str, Any] = {}
    if cursor is not None:
        row = store.find_run(entity, project, run_id)
        if row is not None:
            value = row["config"]
            stored_config = loads(value) if isinstance(value, str) else value
    revisions = _config_revisions(run, stored_config, origin)
    batches = [(1 + (cursor or {}).get("revisions", 0), "config", revisions)] if revisions else []
    fields = _run_fields(entity, project, run_id, run)
    chunks = _chunks_to_store(run.rows, cursor)
    rows = sum(chunk.rows for chunk in chunks) - _rows_taken(cursor, chunks)
    wire_batches = [(number, scope, dumps(entries)) for number, scope, entries in batches]
    first = chunks[:CHUNKS_PER_WRITE]
    store.apply_push(origin, fields, wire_batches, first)
    for start in range(CHUNKS_PER_WRITE, len(chunks), CHUNKS_PER_WRITE):
        store.apply_push(origin, fields, [], chunks[start : start + CHUNKS_PER_WRITE])
    return Imported(run_id, cursor is None, rows, len(revisions))


def _config_revisions(run: SourceRun, stored: dict[str, Any], origin: str) -> list[tuple[Any, ...]]:
    """A revision for each config leaf whose value differs from the stored one."""
    before = dict(_leaves(stored, ()))
    return [
        (
            revision_key(path),
            value,
            origin,
            run.config_details.get(".".join(path)),
            None,
            run.created_at,
        )
        for path, value in _leaves(run.config, ())
        if path not in before or before[path] != value or type(before[path]) is not type(value)
    ]


def _run_fields(entity: str, project: str, run_id: str, run: SourceRun) -> dict[str, Any]:
    ended = run.finished_at
    last = max([run.created_at, *(r[1] for r in run.rows[-1:])])
    if ended is not None:
        last = max(last, ended)
    return {
        "entity": entity,
        "project": project,
        "run_id": run_id,
        "name": run.name,
        "group_name": run.group,
        "job_type": None,
        "tags": list(run.tags),
        "notes": run.notes,
        "mode": "offline",
        "state": run.state,
        "exit_code": None,
        "created_at": run.created_at,
        "finished_at": ended if ended is not None else (last if run.state != "running" else None),
        "heartbeat_at": last,
        "heartbeat_interval": 10.0,
        "summary": dict(run.summary),
        "descriptions": {},
        "host": {**run.host, "imported_from": {"tool": run.tool, "id": run.source_id}},
    }


def _chunks_to_store(
    rows: list[tuple[int, float, dict[str, Any]]], cursor: dict[str, Any] | None
) -> list[EncodedChunk]:
    """The history's chunks that the store has not taken yet (or has taken with fewer rows)."""
    after = -1 if cursor is None else cursor["chunk"]
    grown = {} if cursor is None else {int(k): v for k, v in cursor["grown"].items()}
    sizes = [
        (number, min(CHUNK_ROWS, len(rows) - start))
        for number, start in enumerate(range(0, len(rows), CHUNK_ROWS))
    ]
    wanted = _common.chunks_to_send(sizes, after, grown, len(sizes))
    chunks = []
    for number, _ in wanted:
        part = rows[number * CHUNK_ROWS : (number + 1) * CHUNK_ROWS]
        chunk = Chunk()
        chunk.extend([(step, time, None) for step, time, _ in part], [r for _, _, r in part])
        chunk.index = number
        chunks.append(chunk.encode())
    return chunks


def _rows_taken(cursor: dict[str, Any] | None, chunks: list[EncodedChunk]) -> int:
    """Rows of `chunks` the store already holds (a chunk that grew is sent whole)."""
    if cursor is None:
        return 0
    grown = {int(k): v for k, v in cursor["grown"].items()}
    return sum(grown.get(chunk.index or 0, 0) for chunk in chunks)


def import_runs(
    runs: Iterator[tuple[str, SourceRun]], root: str, entity: str, progress: bool = False
) -> Iterator[tuple[str, Imported]]:
    """Store each of `runs` ((project, run) pairs) in the store at `root`, created if need be."""
    from runcard._store import open_store

    store = open_store(root, create=True)
    try:
        for project, run in _with_progress(runs) if progress else runs:
            yield project, store_run(store, entity, project, run)
    finally:
        store.close()


def _with_progress(runs: Iterator[Any]) -> Iterator[Any]:
    """A progress bar on the terminal (tqdm, when installed)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return runs
    return iter(tqdm(runs, unit=" runs", leave=False))
