"""`runcard export`: a project's runs (and, with --history, their history) to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from runcard import _export
from runcard._cli import _output
from runcard._cli._output import CliError
from runcard._filters import FILTER_HELP, parse_filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard import Api
    from runcard._cli._output import Terminal

DESCRIPTION = """\
Write a project's runs to FILE, one row per run: the run fields, then config.<key> and
summary.<key> columns (nested keys dotted). The file's suffix picks the format: .parquet
(needs the export extra: pip install 'runcard[export]'), .csv or .jsonl. --history also
writes every logged value, one row each (run_id, step, time, key, value), beside it:
runs.parquet -> runs.history.parquet. pandas, polars and DuckDB read what it writes."""


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "export",
        help="write runs (and their history) to Parquet, CSV or JSONL",
        description=DESCRIPTION,
        epilog=f"{FILTER_HELP}\n\n{_output.EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", help="PROJECT or ENTITY/PROJECT")
    parser.add_argument("--to", required=True, metavar="FILE", help="runs.parquet|.csv|.jsonl")
    parser.add_argument("--history", action="store_true", help="also write the history")
    parser.add_argument(
        "-f", "--filter", action="append", default=[], metavar="EXPR", help="keep matching runs"
    )
    return [("export", command, parser)]


def command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    path = Path(args.to)
    filters = parse_filters(args.filter)
    runs = api.runs(args.project, filters=filters, order="created_at")
    if not runs:
        raise CliError(f"no runs to export in project {args.project!r}", _output.NOT_FOUND)
    target = path
    try:
        written = _export.write_runs(runs, path)
        term.write(f"{written} runs -> {path}")
        if args.history:
            target = _export.history_path(path)
            values = _export.write_history(runs, target)
            term.write(f"{values} history values -> {target}")
    except OSError as exc:
        raise CliError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    return 0
