"""wandb run folders (offline or synced) as runs (extra `wandb`).

A run's `run-<id>.wandb` file is a log of wandb's own protobuf `Record`s, decoded with wandb's
own message classes (`wandb.proto.wandb_internal_pb2`). wandb ships no Python reader of the
file's framing since 0.22 (its reader lives in the Go `wandb-core` binary), so the framing, a
LevelDB log (32 KiB blocks of records, each a 7-byte header: checksum, length, type), is read
here; a record that does not decode marks the file damaged.

The run record gives the id, project, name, group, job type, notes, tags, start time and first
config; later config and summary records update them; each history record is a row at its
`_step`, with its `_timestamp` (nested keys joined with dots, as runcard's own `log()` does);
the exit record's code sets the state (a run without one is left `running`, and reads as
crashed once its last time is stale).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from runcard._errors import UsageError
from runcard._importing import SourceRun

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

RUN_FILES = "run-*.wandb"
BLOCK = 32 * 1024
HEADER = 7  # the file's (":W&B", magic, version) and each record's (checksum, length, type)
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_RECORD_HEADER = struct.Struct("<IHB")
# wandb's own bookkeeping keys, not the user's
_INTERNAL = frozenset(("_wandb", "_runtime", "_step", "_timestamp"))


def read_runs(folder: Path, problems: list[str]) -> Iterator[SourceRun]:
    """The runs of the `.wandb` files under `folder` (or the file itself); a file that cannot be
    read whole is named in `problems` (what was read of it before the fault is imported)."""
    if folder.is_file():
        files = [folder]
    elif folder.is_dir():
        files = sorted(folder.rglob(RUN_FILES))
    else:
        raise UsageError(f"wandb folder {str(folder)!r} does not exist")
    record_type = _record_type()
    for path in files:
        run = _RunBuilder()
        try:
            for raw in _records(path.read_bytes()):
                run.add(record_type.FromString(raw))
        except Exception as exc:  # damaged or truncated: report it, keep what was read
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
        if run.run_id:
            yield run.build(path)


def _record_type() -> Any:
    try:
        from wandb.proto.wandb_internal_pb2 import Record
    except ImportError:
        raise UsageError("importing wandb runs needs wandb: pip install 'runcard[wandb]'") from None
    return Record


def _records(data: bytes) -> Iterator[bytes]:
    """The records of a LevelDB log, joined across blocks."""
    if data[:4] != b":W&B":
        raise ValueError("not a .wandb file (no :W&B header)")
    position, pieces = HEADER, []
    while position + HEADER <= len(data):
        room = BLOCK - position % BLOCK
        if room < HEADER:  # a block's tail too short for a header is padding
            position += room
            continue
        _, length, kind = _RECORD_HEADER.unpack_from(data, position)
        start = position + HEADER
        position = start + length
        if position > len(data):
            raise ValueError(f"a record runs past the end of the file at byte {start:,}")
        if kind == FULL:
            yield data[start:position]
        elif kind == FIRST:
            pieces = [data[start:position]]
        elif kind == MIDDLE:
            pieces.append(data[start:position])
        elif kind == LAST:
            pieces.append(data[start:position])
            yield b"".join(pieces)
            pieces = []
        elif kind == 0 and length == 0:  # zeroed space written ahead: skip to the next block
            position = start - HEADER + room
        else:
            raise ValueError(f"record of unknown type {kind} at byte {start - HEADER:,}")


def _key(item: Any) -> str:
    if item.key:
        return item.key
    path = item.nested_key
    return path[0] if len(path) == 1 else ".".join(path)


def _internal(key: str) -> bool:
    return key in _INTERNAL or key.startswith("_wandb.")


def _value(text: str) -> Any:
    """A JSON value; numbers, nearly all of a history, without the JSON parser's overhead."""
    first = text[:1]
    if first.isdigit() or first == "-":
        try:
            return float(text) if "." in text or "e" in text or "E" in text else int(text)
        except ValueError:
            pass
    return json.loads(text)


def _decoded(document: dict[str, str]) -> dict[str, Any]:
    return {key: _value(text) for key, text in document.items() if not _internal(key)}


class _RunBuilder:
    """A run as its records describe it, record by record."""

    def __init__(self) -> None:
        self.run_id = ""
        self.fields: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.rows: list[tuple[int, float, dict[str, Any]]] = []
        self.exit_code: int | None = None
        self.last_time = 0.0

    def add(self, record: Any) -> None:
        kind = record.WhichOneof("record_type")
        if kind == "run":
            self._run(record.run)
        elif kind == "config":
            self._update(self.config, record.config)
        elif kind == "summary":
            self._update(self.summary, record.summary)
        elif kind == "history":
            self._history(record.history)
        elif kind == "exit":
            self.exit_code = record.exit.exit_code

    def _run(self, run: Any) -> None:
        self.run_id = run.run_id
        start = run.start_time.seconds + run.start_time.nanos / 1e9
        self.fields = {
            "project": run.project,
            "name": run.display_name or run.run_id,
            "group": run.run_group or None,
            "job_type": run.job_type or None,
            "notes": run.notes or None,
            "tags": list(run.tags),
            "created_at": start,
        }
        self.last_time = max(self.last_time, start)
        self._update(self.config, run.config)
        self._update(self.summary, run.summary)

    def _update(self, document: dict[str, Any], record: Any) -> None:
        """Values are kept as their JSON text, wandb's own keys too, and decoded and sorted out
        once, in `build`: wandb rewrites the summary at every step."""
        for item in record.update:
            document[_key(item)] = item.value_json
        for item in record.remove:
            document.pop(_key(item), None)

    def _history(self, history: Any) -> None:
        values = {_key(item): item.value_json for item in history.item}
        step = values.pop("_step", None)
        time = values.pop("_timestamp", None)
        time = 0.0 if time is None else float(_value(time))
        row = {key: _value(text) for key, text in values.items() if not _internal(key)}
        self.last_time = max(self.last_time, time)
        if row:
            self.rows.append((history.step.num if step is None else int(_value(step)), time, row))

    def build(self, path: Path) -> SourceRun:
        fields = self.fields
        state = (
            "running" if self.exit_code is None else ("failed" if self.exit_code else "finished")
        )
        return SourceRun(
            tool="wandb",
            source_id=self.run_id,
            name=fields.get("name", self.run_id),
            created_at=fields.get("created_at", self.last_time),
            finished_at=None if state == "running" else self.last_time,
            config=_decoded(self.config),
            rows=self.rows,
            summary=_decoded(self.summary),
            tags=fields.get("tags", []),
            notes=fields.get("notes"),
            group=fields.get("group"),
            state=state,
            host={"wandb_file": str(path.resolve()), "wandb_project": fields.get("project")},
        )


def project_of(run: SourceRun) -> str | None:
    """The project the run was logged to in wandb."""
    project = run.host.get("wandb_project")
    return project if isinstance(project, str) and project else None
