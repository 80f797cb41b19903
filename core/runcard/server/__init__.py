"""`runcard server`: the tracking server a team's runs are pushed to and read from.

Only the `runcard server` command imports this package. Its dependencies (Starlette, uvicorn,
psycopg for PostgreSQL) come with the `server` extra: `pip install 'runcard[server]'`.
"""

from __future__ import annotations

import argparse
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def run_server(args: argparse.Namespace, api: Any = None, term: Any = None) -> int:
    from runcard._settings import redacted
    from runcard.web._serving import serve

    def make_app(keys: list[str], hosts: list[str] | None) -> Any:
        from runcard.server._app import create_server_app

        return create_server_app(args.store, keys, allowed_hosts=hosts)

    return serve(
        "server", args, "read and write every run", make_app, f"{redacted(args.store)} on "
    )


__all__ = ["run_server"]
