"""`runcard ui` and `runcard server`: their command lines. What they serve lives in `runcard.web`
and `runcard.server`, imported only when the command runs."""

from __future__ import annotations

import argparse
from typing import Any

from runcard import server, web


def add_ui_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add `runcard ui [--dir DIR] [--host 127.0.0.1] [--port 8787] [--api-key-file FILE]` to
    `subparsers`."""
    sub = subparsers.add_parser(
        "ui",
        help="serve the web app on 127.0.0.1:8787",
        description="Serve a read-only web app over the store: runs table, group-by, config "
        "diff, charts, parallel coordinates. Listens on 127.0.0.1 unless --host says otherwise, "
        "and refuses any other address without --api-key-file.",
    )
    sub.add_argument(
        "--host", default=web.DEFAULT_HOST, help="address to bind (default: 127.0.0.1)"
    )
    sub.add_argument("--port", type=int, default=web.DEFAULT_PORT, help="port (default: 8787)")
    sub.add_argument(
        "--api-key-file",
        help="a file of API keys, one per line: every request must carry one (a browser asks "
        "for it as the password)",
    )
    sub.set_defaults(handler=web.run_ui, command_name="ui")
    return sub


def add_server_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add `runcard server --store STORE [--host 127.0.0.1] [--port 8787] [--api-key-file FILE]`
    to `subparsers`."""
    sub = subparsers.add_parser(
        "server",
        help="serve the logging API and the web app to a team",
        description="Serve the logging API (runs pushed by clients with RUNCARD_URL set, or by "
        "`runcard sync`) and the web app over one store, PostgreSQL for a team. Listens on "
        "127.0.0.1 unless --host says otherwise, and refuses any other address without "
        "--api-key-file.",
    )
    sub.add_argument(
        "--store",
        required=True,
        help="postgresql://user@host:port/db, or a store directory",
    )
    sub.add_argument(
        "--host", default=server.DEFAULT_HOST, help="address to bind (default: 127.0.0.1)"
    )
    sub.add_argument("--port", type=int, default=server.DEFAULT_PORT, help="port (default: 8787)")
    sub.add_argument(
        "--api-key-file",
        help="a file of API keys, one per line: every request must carry one",
    )
    return sub


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    """(name, handler, parser) for each subcommand, as `runcard._cli.COMMANDS` reads them."""
    return [
        ("ui", web.run_ui, add_ui_command(commands)),
        ("server", server.run_server, add_server_command(commands)),
    ]
