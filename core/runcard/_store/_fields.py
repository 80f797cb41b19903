"""The run fields that arrive from outside, checked before a store takes them: edits through the
Api (`Store.edit_run`, also a server's `/api/v1/store/edit_run`) and runs pushed to a server
(`Store.apply_push`). Column names in SQL come from here, never from the input, and a value of
the wrong type, size or range is a UsageError that names the field (a 400 from a server)."""

from __future__ import annotations

from runcard._errors import UsageError
from runcard._settings import MODES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

TEXT_CHARS = 4096  # an id, a name, a group, a job type, a tag
NOTES_CHARS = 1_000_000
MAX_TAGS = 1024
# seconds since the epoch, up to the end of the year 9999 (the last a datetime can show)
LATEST_TIME = 253402300799.0
INT64 = 2**63  # exit codes: what both databases hold
# stopped: ended early on purpose (a sweep's early termination, a pruned trial), not by a fault
STATES = ("running", "finished", "failed", "crashed", "stopped")
END_STATES = ("finished", "failed", "stopped")

# the run fields an edit may change (as the Api names them) and the column each is stored in
EDITABLE = {
    "name": "name",
    "tags": "tags",
    "notes": "notes",
    "group": "group_name",
    "job_type": "job_type",
}


def _fail(field: str, value: Any, expected: str) -> UsageError:
    try:
        shown = repr(value)
    except ValueError:  # an int of over 4,300 digits
        shown = f"a {type(value).__name__}"
    if len(shown) > 80:
        shown = f"{shown[:60]}... ({type(value).__name__}, {len(shown):,} characters)"
    return UsageError(f"run field {field!r}: {expected}, not {shown}")


def _text(limit: int, optional: bool = False, empty: bool = True) -> Callable[[str, Any], None]:
    def check(field: str, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or len(value) > limit or (not value and not empty):
            expected = f"a{'' if empty else ' non-empty'} string of at most {limit:,} characters"
            raise _fail(field, value, expected + (" or null" if optional else ""))

    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[str, Any], None]:
    def check(field: str, value: Any) -> None:
        if value not in choices or not isinstance(value, str):
            raise _fail(field, value, f"one of {', '.join(choices)}")

    return check


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _time(optional: bool = False) -> Callable[[str, Any], None]:
    def check(field: str, value: Any) -> None:
        if value is None and optional:
            return
        if not _number(value) or not 0 <= value <= LATEST_TIME:
            raise _fail(field, value, "seconds since 1970 up to the year 9999")

    return check


def _exit_code(field: str, value: Any) -> None:
    if value is not None and (type(value) is not int or not -INT64 <= value < INT64):
        raise _fail(field, value, "a 64-bit integer or null")


def _interval(field: str, value: Any) -> None:
    if not _number(value) or not value > 0:  # inf: RUNCARD_HEARTBEAT_SECONDS=inf never beats
        raise _fail(field, value, "a positive number of seconds")


def _tags(field: str, value: Any) -> None:
    if (
        not isinstance(value, (list, tuple))
        or len(value) > MAX_TAGS
        or not all(isinstance(tag, str) and len(tag) <= TEXT_CHARS for tag in value)
    ):
        expected = f"a list of at most {MAX_TAGS:,} strings of at most {TEXT_CHARS:,} characters"
        raise _fail(field, value, expected)


def _document(field: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise _fail(field, value, "an object")


_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "entity": _text(TEXT_CHARS, empty=False),
    "project": _text(TEXT_CHARS, empty=False),
    "run_id": _text(TEXT_CHARS, empty=False),
    "name": _text(TEXT_CHARS, empty=False),
    "group_name": _text(TEXT_CHARS, optional=True),
    "job_type": _text(TEXT_CHARS, optional=True),
    "notes": _text(NOTES_CHARS, optional=True),
    "mode": _one_of(MODES),
    "state": _one_of(STATES),
    "exit_code": _exit_code,
    "created_at": _time(),
    "finished_at": _time(optional=True),
    "heartbeat_at": _time(),
    "heartbeat_interval": _interval,
    "tags": _tags,
    "summary": _document,
    "descriptions": _document,
    "host": _document,
    "sweep": _text(TEXT_CHARS, optional=True),
}
# run fields a push may lack (from a client older than the field): null then
OPTIONAL_PUSHED = ("sweep",)


def check_edit(fields: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """An edit's {field: value} checked, as (field, its column, value) each."""
    if not isinstance(fields, dict):
        raise UsageError(f"run fields to edit must be an object, not {type(fields).__name__}")
    checked = []
    for field, value in fields.items():
        column = EDITABLE.get(field) if isinstance(field, str) else None
        if column is None:
            raise UsageError(
                f"run field {str(field)[:200]!r} cannot be edited: edit {', '.join(EDITABLE)}"
            )
        _CHECKS[column](field, value)
        checked.append((field, column, value))
    return checked


def check_new(identity: dict[str, Any]) -> None:
    """init()'s run fields, checked as a server checks them when the run is pushed."""
    for field, column in (("entity", "entity"), ("project", "project"), ("id", "run_id")):
        _CHECKS[column](field, identity[field])
    for field, column in EDITABLE.items():
        if identity[field] or column != "name":  # no name: the store numbers the run
            _CHECKS[column](field, identity[field])


def check_pushed(run: dict[str, Any]) -> None:
    """A pushed run's fields (those `_CHECKS` names: all a push carries) checked."""
    for field, check in _CHECKS.items():
        if field not in run and field in OPTIONAL_PUSHED:
            continue
        if field not in run:
            raise UsageError(f"run field {field!r} is missing")
        check(field, run[field])


def in_time_range(value: float) -> float:
    """`value` moved into the range a timestamp field accepts."""
    return min(max(value, 0.0), LATEST_TIME)
