"""Every environment variable runcard reads, resolved in one place."""

from __future__ import annotations

import functools
import os

ENV_DIR = "RUNCARD_DIR"
ENV_MODE = "RUNCARD_MODE"
ENV_PROJECT = "RUNCARD_PROJECT"
ENV_ENTITY = "RUNCARD_ENTITY"
ENV_CONFIG_PATHS = "RUNCARD_CONFIG_PATHS"
ENV_HEARTBEAT_SECONDS = "RUNCARD_HEARTBEAT_SECONDS"
ENV_URL = "RUNCARD_URL"
ENV_API_KEY = "RUNCARD_API_KEY"
# set by `runcard agent` for the program it runs (see _sweep_state)
ENV_SWEEP_ID = "RUNCARD_SWEEP_ID"
ENV_SWEEP_RUN = "RUNCARD_SWEEP_RUN"
ENV_SWEEP_PARAMS = "RUNCARD_SWEEP_PARAMS"

DEFAULT_PROJECT = "uncategorized"
DEFAULT_HEARTBEAT_SECONDS = 10.0
MODES = ("online", "offline", "disabled")


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def store_root(dir: str | os.PathLike[str] | None = None) -> str:
    """Where the store is: `dir`, else $RUNCARD_DIR, else ~/.runcard. A directory (made
    absolute), or a PostgreSQL URL (postgresql://user@host:port/database), kept as it is."""
    if dir is not None:
        return _absolute(os.fspath(dir))
    env = os.environ.get(ENV_DIR)
    if env:
        return _absolute(env)
    return os.path.join(os.path.expanduser("~"), ".runcard")


def is_postgres_url(root: str) -> bool:
    return root.startswith(POSTGRES_SCHEMES)


def redacted(root: str) -> str:
    """A store's root fit to print: a directory as it is, a URL with its password as ***."""
    if not is_postgres_url(root):
        return root
    import urllib.parse

    parts = urllib.parse.urlsplit(root)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = parts.query
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if any(name == "password" for name, _ in pairs):
        masked = [(name, "***" if name == "password" else value) for name, value in pairs]
        query = urllib.parse.urlencode(masked, safe="*")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def files_root(root: str) -> str:
    """Where runs keep their files (`run.dir`): beside a store directory; for a database,
    in ~/.runcard on this machine."""
    if is_postgres_url(root):
        return os.path.join(os.path.expanduser("~"), ".runcard")
    return root


def _absolute(root: str) -> str:
    return root if is_postgres_url(root) else os.path.abspath(root)


def heartbeat_seconds() -> float:
    raw = os.environ.get(ENV_HEARTBEAT_SECONDS)
    if not raw:
        return DEFAULT_HEARTBEAT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{ENV_HEARTBEAT_SECONDS}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ValueError(f"{ENV_HEARTBEAT_SECONDS}={raw!r} must be positive")
    return value


def default_project() -> str:
    """The project of a run started without one: $RUNCARD_PROJECT, else "uncategorized"."""
    return os.environ.get(ENV_PROJECT) or DEFAULT_PROJECT


def default_entity() -> str:
    env = os.environ.get(ENV_ENTITY)
    if env:
        return env
    for name in ("USER", "LOGNAME", "USERNAME"):
        if os.environ.get(name):
            return os.environ[name]
    return _account_name()


@functools.cache
def _account_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no user database entry (some containers)
        return "unknown"
