"""The database's errors as runcard's: every public method of a SQL store raises `StoreError`
naming the store, never a raw `sqlite3`, `psycopg` (or decoding) error, whatever state the file
or the server is in. Each store class names the errors it translates (`FAILURES`) and makes
runcard's error of one (`_failure`); what SQLite's mean is described here."""

from __future__ import annotations

import functools
import json
import sqlite3
import types
import zlib

from runcard._errors import StoreError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

# what reading a damaged file raises: SQLite's own errors, and those of decoding stored bytes
# that SQLite handed back unchecked (a page of a long value overwritten)
DAMAGE = (sqlite3.Error, zlib.error, UnicodeDecodeError, json.JSONDecodeError)
_CORRUPT = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


def guarded(cls: type[T]) -> type[T]:
    """Wrap the class's public methods, its own and those it inherits, so that the errors in
    `cls.FAILURES` become `self._failure(exc)`."""
    failures = cls.FAILURES  # type: ignore[attr-defined]
    for name in dir(cls):
        method = getattr(cls, name)
        if not name.startswith("_") and isinstance(method, types.FunctionType):
            setattr(cls, name, _guard(method, failures))
    return cls


def _guard(
    method: Callable[..., Any], failures: tuple[type[BaseException], ...]
) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except failures as exc:
            raise self._failure(exc) from exc

    return guarded_method


def store_error(path: str, exc: BaseException) -> StoreError:
    message = f"the runcard store {path}: {brief(exc)}"
    if is_damage(exc):
        message += (
            " (the file is damaged: `runcard doctor` says what is, `runcard doctor --repair`"
            " copies everything readable into a fresh store)"
        )
    return StoreError(message)


def brief(exc: BaseException, limit: int = 200) -> str:
    """The error's message, cut short: SQLite quotes a whole undecodable value in it."""
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "..."


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` says the file's content is damaged (not full, locked or unwritable)."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc)
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _CORRUPT or any(
            sign in text for sign in ("malformed", "not a database", "Could not decode")
        )
    return True
