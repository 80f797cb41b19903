"""`runcard sync`: push local runs (offline, or logged while the server was down) to a server."""

from __future__ import annotations

import argparse
import os
from typing import Any

import runcard
from runcard import _settings
from runcard._cli._output import OK, SERVER, CliError, Terminal


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "sync",
        help="push local runs to a tracking server",
        description="Push local runs to the server at --url (else $RUNCARD_URL): all runs, or "
        "the RUNs named. Only what the server lacks is sent, so a sync repeated or interrupted "
        "and run again stores every point once. --verify then compares each run's row count "
        "and checksum with the server's copy.",
    )
    parser.add_argument(
        "runs", nargs="*", metavar="RUN", help="entity/project/id, project/id or id"
    )
    parser.add_argument("--url", help="the server (default: $RUNCARD_URL)")
    parser.add_argument(
        "--api-key-file", help="a file whose first line is the API key (default: $RUNCARD_API_KEY)"
    )
    parser.add_argument("--project", help="only the runs of this project")
    parser.add_argument("--verify", action="store_true", help="compare counts and checksums")
    return [("sync", command, parser)]


def command(args: argparse.Namespace, api: runcard.Api, term: Terminal) -> int:
    from runcard._errors import ServerError
    from runcard._sync import RunPusher, local_digest

    client = _client(args)
    runs = [api.run(path) for path in args.runs] if args.runs else list(api.runs(args.project))
    store = api._open()
    origin = store.origin()
    pushed = 0
    try:
        for run in runs:
            pushed += bool(RunPusher(store, client, run.entity, run.project, run.id).push())
        term.write(f"{len(runs)} runs in sync with {client.url} ({pushed} had something to push)")
        if not args.verify:
            return OK
        keys = [{"entity": r.entity, "project": r.project, "run_id": r.id} for r in runs]
        remote = client.call("/verify", {"origin": origin, "runs": keys})
    except ServerError as exc:
        raise CliError(str(exc), SERVER) from None
    differ = 0
    for run, theirs in zip(runs, remote, strict=True):
        ours = local_digest(store, run._pk)
        if theirs != ours:
            differ += 1
            held = "nothing" if theirs is None else f"{theirs['rows']:,} rows"
            term.write(f"{run.path}: {ours['rows']:,} rows here, the server holds {held}")
    if differ:
        raise CliError(f"{differ} of {len(runs)} runs differ from the server's copy", SERVER)
    term.write(f"verified: every row of the {len(runs)} runs is on the server, checksums equal")
    return OK


def _client(args: argparse.Namespace) -> Any:
    from runcard._store._http import Client

    url = args.url or os.environ.get(_settings.ENV_URL)
    if not url:
        raise CliError("give --url http://host:port or set RUNCARD_URL", 2)
    key = os.environ.get(_settings.ENV_API_KEY) or None
    if args.api_key_file:
        try:
            with open(args.api_key_file, encoding="utf-8") as f:
                key = f.readline().strip() or None
        except OSError as exc:
            raise CliError(
                f"--api-key-file {args.api_key_file}: {exc.strerror or exc}", 2
            ) from None
    return Client(url, key)
