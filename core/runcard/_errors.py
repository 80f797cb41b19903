"""Exceptions raised by runcard.

Error (base of everything runcard raises)
├── UsageError        an argument or call order that cannot work (init twice with resume="never", ...)
├── ConfigError       a config write refused (allow_val_change=False, a non-string key, ...)
│   └── ConfigFileError   a config file that is missing or malformed; names file, line, reason
├── RunNotFoundError  an Api path that names no run (also a ValueError, as in wandb)
├── StoreError        the store could not be opened or written
└── ServerError       a runcard server answered with an error, or could not be reached
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every exception runcard raises."""


class UsageError(Error):
    """An argument or a call order that runcard cannot honour."""


class ConfigError(Error):
    """A config write that runcard refused; the message names the key."""


class ConfigFileError(ConfigError):
    """A config file that is missing or malformed; the message names the file, line and reason."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"config file {where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class RunNotFoundError(Error, ValueError):
    """No run matches the path given to the Api."""


class StoreError(Error):
    """The store could not be opened, migrated or written."""


class ServerError(Error):
    """The server answered with an error (`status` holds the HTTP status), or could not be
    reached (`status` is None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
