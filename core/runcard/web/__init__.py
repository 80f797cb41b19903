"""`runcard ui`: a local web app over the store (runs table, groups, diffs, charts).

Only the `runcard ui` command imports this package; `import runcard` never does. The web
dependencies (Starlette, uvicorn) come with the `ui` extra: `pip install 'runcard[ui]'`, and are
imported only when the command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787


def run_ui(args: argparse.Namespace, api: Any = None, term: Any = None) -> int:
    """Serve until interrupted. `args.dir` picks the store (else $RUNCARD_DIR, else ~/.runcard)."""
    import sys

    try:
        import uvicorn

        from runcard.web._app import create_app
        from runcard.web._guard import Guard
    except ImportError as exc:
        print(
            f"runcard ui: the web app needs the 'ui' extra ({exc.name} is missing): "
            "pip install 'runcard[ui]'",
            file=sys.stderr,
        )
        return 2
    from runcard.web._access import LOOPBACK, access_keys

    try:
        keys = access_keys(args.host, args.api_key_file, "read every run")
    except ValueError as exc:
        print(f"runcard ui: {exc}", file=sys.stderr)
        return 2
    # on loopback, only Host headers naming loopback are served (no DNS rebinding)
    hosts = list(LOOPBACK) if args.host in LOOPBACK else None
    app = Guard(create_app(getattr(args, "dir", None), allowed_hosts=hosts), keys)
    app.state.catalog.warm()
    print(
        f"runcard ui: serving http://{args.host}:{args.port}/ "
        f"({'API key required; ' if keys else ''}Ctrl-C stops)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "run_ui"]
