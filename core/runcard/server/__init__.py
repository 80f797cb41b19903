"""`runcard server`: the tracking server a team's runs are pushed to and read from.

Only the `runcard server` command imports this package. Its dependencies (Starlette, uvicorn,
psycopg for PostgreSQL) come with the `server` extra: `pip install 'runcard[server]'`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def read_api_keys(path: str) -> list[str]:
    """The keys in `path`, one per line (blank lines and # comments skipped)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f]
    except OSError as exc:
        raise ValueError(f"--api-key-file {path}: {exc.strerror or exc}") from None
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys:
        raise ValueError(f"--api-key-file {path}: no key in the file")
    short = [i for i, key in enumerate(keys) if len(key) < 16]
    if short:
        raise ValueError(f"--api-key-file {path}: keys must be 16 characters or more")
    return keys


def run_server(args: argparse.Namespace, api: Any = None, term: Any = None) -> int:
    try:
        import uvicorn

        from runcard.server._app import create_server_app
    except ImportError as exc:
        print(
            f"runcard server: needs the 'server' extra ({exc.name} is missing): "
            "pip install 'runcard[server]'",
            file=sys.stderr,
        )
        return 2
    keys: list[str] = []
    if args.api_key_file:
        try:
            keys = read_api_keys(args.api_key_file)
        except ValueError as exc:
            print(f"runcard server: {exc}", file=sys.stderr)
            return 2
    if args.host not in LOOPBACK and not keys:
        print(
            f"runcard server: refusing to listen on {args.host} without --api-key-file: "
            "anyone who can reach the port could read and write every run",
            file=sys.stderr,
        )
        return 2
    import runcard
    from runcard._settings import redacted

    hosts = list(LOOPBACK) if args.host in LOOPBACK else None
    try:
        app = create_server_app(args.store, keys, allowed_hosts=hosts)
    except runcard.Error as exc:
        print(f"runcard server: {exc}", file=sys.stderr)
        return 1
    print(
        f"runcard server: serving {redacted(args.store)} on http://{args.host}:{args.port}/ "
        f"({'API key required' if keys else 'no API key: loopback only'}; Ctrl-C stops)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


__all__ = ["read_api_keys", "run_server"]
