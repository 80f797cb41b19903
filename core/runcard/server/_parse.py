"""Reading the server's request bodies: each malformed part is a 400 that names it, found
before anything reaches the store (a deep, huge or mistyped value must never become a 500
half-way through a write)."""

from __future__ import annotations

import json
import math
import zlib
from typing import Any

from runcard._history import (
    EncodedChunk,
    decode_column,
    decode_positions,
    decode_steps,
    decode_times,
)
from runcard._store._http import chunk_from_wire

# a stored value is at most 64 levels deep (runcard._convert.MAX_DEPTH): with the levels around
# it this leaves room, and keeps every later recursion far from Python's limit
MAX_JSON_DEPTH = 100
INT64 = 2**63
SCOPES = ("config", "summary", "run")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def read_json_text(data: bytes | str, what: str) -> Any:
    """JSON `data` no deeper than MAX_JSON_DEPTH; BadRequest naming `what` otherwise."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadRequest(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BadRequest(f"{what} is not JSON: {exc}") from None
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in node)
    return value


def field(body: dict[str, Any], name: str, kind: Any) -> Any:
    if name not in body:
        raise BadRequest(f"{name!r} is missing")
    value = body[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise BadRequest(f"{name!r} has the wrong type ({type(value).__name__})")
    return value


def optional(body: dict[str, Any], name: str, kind: Any) -> Any:
    """`body[name]` when it is of `kind`, None when missing or null."""
    if body.get(name) is None:
        return None
    return field(body, name, kind)


def integer(body: dict[str, Any], name: str, low: int = -INT64) -> int:
    """`body[name]`, an integer from `low` that a 64-bit column holds."""
    value = field(body, name, int)
    if not low <= value < INT64:
        raise BadRequest(f"{name!r} is out of range ({low} to {INT64 - 1})")
    return int(value)


def number(body: dict[str, Any], name: str) -> float:
    value = field(body, name, (int, float))
    if not _finite(value):
        raise BadRequest(f"{name!r} must be a finite number")
    return float(value)


def scope(body: dict[str, Any]) -> str:
    value = field(body, "scope", str)
    if value not in SCOPES:
        raise BadRequest(f"'scope' must be one of {', '.join(SCOPES)}")
    return str(value)


def strings(body: dict[str, Any], name: str) -> list[str] | None:
    """`body[name]`: a list of strings, or None."""
    value = optional(body, name, list)
    if value is not None and not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{name!r} must be a list of strings")
    return value


def revision_batches(items: list[Any]) -> list[tuple[int, str, str]]:
    """A push's revision batches: [number, scope, entries as JSON text]."""
    batches = []
    for item in items:
        if (
            not isinstance(item, list)
            or len(item) != 3
            or type(item[0]) is not int
            or not 0 <= item[0] < INT64
            or item[1] not in SCOPES
            or not isinstance(item[2], str)
        ):
            raise BadRequest("revisions must be [number, 'config'|'summary'|'run', entries]")
        entries(read_json_text(item[2], f"revision batch {item[0]}"), f"revision batch {item[0]}")
        batches.append((item[0], item[1], item[2]))
    return batches


def entries(value: Any, what: str) -> list[tuple[Any, ...]]:
    """Revision entries: [key, value, source, detail, step, time] each."""
    if not isinstance(value, list):
        raise BadRequest(f"{what}: entries must be a list")
    for i, entry in enumerate(value):
        problem = _entry_problem(entry)
        if problem:
            raise BadRequest(f"{what}: entry {i}: {problem}")
    return [tuple(entry) for entry in value]


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, list) or len(entry) != 6:
        return "must be [key, value, source, detail, step, time]"
    key, _value, source, detail, step, t = entry
    if isinstance(key, list):
        if not key or not all(isinstance(part, str) for part in key):
            return "a key given as a list must be a non-empty list of strings"
    elif not isinstance(key, str) or not key:
        return "the key must be a non-empty string or a list of strings"
    if not isinstance(source, str):
        return "the source must be a string"
    if detail is not None and not isinstance(detail, str):
        return "the detail must be a string or null"
    if step is not None and (type(step) is not int or not -INT64 <= step < INT64):
        return "the step must be a 64-bit integer or null"
    if type(t) not in (int, float) or not _finite(t):
        return "the time must be a finite number"
    return None


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def text(body: dict[str, Any], name: str) -> str:
    """`body[name]`: a non-empty string that a PostgreSQL text column holds (no NUL)."""
    value = field(body, name, str)
    if not value or "\x00" in value or not _unicode(value):
        raise BadRequest(f"{name!r} must be non-empty Unicode text without NUL characters")
    return str(value)


def _unicode(value: str) -> bool:
    try:
        value.encode()  # not a lone surrogate, which a "\ud800" escape makes
    except UnicodeEncodeError:
        return False
    return True


def chunk(item: Any) -> EncodedChunk:
    """A pushed history chunk, decoded once here so that no malformed chunk is ever stored
    for its readers to fail on."""
    try:
        found = chunk_from_wire(item)
        steps = decode_steps(found.steps)
        times = decode_times(found.times)
        if not len(steps) == len(times) == found.rows:
            raise ValueError(f"{found.rows} rows, but {len(steps)} steps and {len(times)} times")
        if (found.min_step, found.max_step) != (min(steps), max(steps)):
            raise ValueError("min_step and max_step are not those of its steps")
        for key, kind, positions, data in found.columns:
            rows = decode_positions(positions, found.rows)
            if len(decode_column(kind, data)) != len(rows) or any(
                not 0 <= row < found.rows for row in rows
            ):
                raise ValueError(f"column {key!r} does not match its rows")
    except (ValueError, TypeError, RecursionError, zlib.error) as exc:
        message = str(exc)
        if not message.startswith("malformed history chunk"):
            message = f"malformed history chunk: {message}"
        raise BadRequest(message) from None
    return found
