"""`runcard server`: the tracking server a team's runs are pushed to and read from.

Only the `runcard server` command imports this package. Its dependencies (Starlette, uvicorn,
psycopg for PostgreSQL) come with the `server` extra: `pip install 'runcard[server]'`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from runcard.web._access import LOOPBACK, access_keys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


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
    try:
        keys = access_keys(args.host, args.api_key_file, "read and write every run")
    except ValueError as exc:
        print(f"runcard server: {exc}", file=sys.stderr)
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


__all__ = ["run_server"]
