"""What `runcard ui` and `runcard server` share to serve: who may connect (API keys, and the
rule that a host beyond loopback needs them) and the uvicorn loop. Imports no web dependency
until it serves."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any

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
    if any(len(key) < 16 for key in keys):
        raise ValueError(f"--api-key-file {path}: keys must be 16 characters or more")
    return keys


def access_keys(host: str, key_file: str | None, exposed: str) -> list[str]:
    """The keys a command serving on `host` requires (none on loopback without a key file);
    ValueError for a bad key file or a host beyond loopback without keys."""
    keys = read_api_keys(key_file) if key_file else []
    if host not in LOOPBACK and not keys:
        raise ValueError(
            f"refusing to listen on {host} without --api-key-file: anyone who can reach the "
            f"port could {exposed}"
        )
    return keys


def serve(
    command: str,
    args: argparse.Namespace,
    exposed: str,
    make_app: Callable[[list[str], list[str] | None], Any],
    serving: str = "",
) -> int:
    """Serve `make_app(keys, allowed hosts)` on `args.host`/`args.port` until interrupted, once
    the host is allowed; the command's exit code. `exposed` says what an open port would give
    away, `serving` what is served (before the address)."""
    import runcard

    extra = "server" if command == "server" else "ui"
    try:
        import uvicorn

        keys = access_keys(args.host, args.api_key_file, exposed)
        # on loopback, only Host headers naming loopback are served (no DNS rebinding)
        app = make_app(keys, list(LOOPBACK) if args.host in LOOPBACK else None)
    except ImportError as exc:
        message = (
            f"needs the '{extra}' extra ({exc.name} is missing): pip install 'runcard[{extra}]'"
        )
        return _refuse(command, message, 2)
    except ValueError as exc:
        return _refuse(command, str(exc), 2)
    except runcard.Error as exc:
        return _refuse(command, str(exc), 1)
    key = "API key required" if keys else "no API key: loopback only"
    print(
        f"runcard {command}: serving {serving}http://{args.host}:{args.port}/ ({key}; Ctrl-C stops)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _refuse(command: str, message: str, code: int) -> int:
    print(f"runcard {command}: {message}", file=sys.stderr)
    return code
