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
    from runcard.web._serving import serve

    def make_app(keys: list[str], hosts: list[str] | None) -> Any:
        from runcard.web._app import create_app
        from runcard.web._guard import Guard

        app = Guard(create_app(getattr(args, "dir", None), allowed_hosts=hosts), keys)
        app.state.catalog.warm()
        return app

    return serve("ui", args, "read every run", make_app)


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "run_ui"]
