"""`runcard importance PROJECT --metric M`: which config keys matter to a metric (the `analysis`
extra), as a table, JSON or CSV."""

from __future__ import annotations

import argparse

from runcard._cli import _output
from runcard._cli._output import Column, Terminal
from runcard._filters import FILTER_HELP, parse_filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard import Api

METHOD_HELP = """\
importance: a random forest (scikit-learn) fitted on 3/4 of the runs, scored by permutation
importance on the other 1/4, negative scores as 0, normalised to sum to 1. correlation: Spearman
for numbers and booleans (-1..1), Kruskal-Wallis epsilon² for categories (0..1). Needs
pip install 'runcard[analysis]'; under 10 runs no scores are given."""


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "importance",
        help="which config keys matter to a metric",
        description="How much each config key that varies matters to a summary metric.",
        epilog=f"{METHOD_HELP}\n\n{FILTER_HELP}\n\n{_output.EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("project", help="PROJECT or ENTITY/PROJECT")
    add("-m", "--metric", required=True, help="the summary metric, such as val_acc")
    add("-f", "--filter", action="append", default=[], metavar="EXPR", help="keep matching runs")
    add("-k", "--keys", action="append", default=[], metavar="KEY,...", help="only these keys")
    add("--seed", type=int, default=0, help="the forest's seed (default 0)")
    add("--format", choices=("table", "json", "csv"), default="table")
    return [("importance", command, parser)]


def command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    keys = [k.strip() for text in args.keys for k in text.split(",") if k.strip()] or None
    report = api.importance(args.project, args.metric, parse_filters(args.filter), keys, args.seed)
    if report["runs"] == 0:
        raise _output.CliError(
            f"no run in project {args.project!r} has a number for {report['metric']}",
            _output.NOT_FOUND,
        )
    if args.format == "json":
        _output.write_json(term, report)
    elif args.format == "csv":
        header = ["key", "type", "importance", "correlation", "correlation_method", "runs"]
        rows = [[row[h] for h in header] for row in report["keys"]]
        rows += [[k, "constant", "", "", "", report["runs"]] for k in report["constant"]]
        rows += [
            [k, "fixed_by_sweep", "", "", "", report["runs"]] for k in report["fixed_by_sweep"]
        ]
        _output.write_csv(term, header, rows)
    else:
        _table(report, term)
    return 0


def _table(report: dict[str, Any], term: Terminal) -> None:
    term.write(f"{report['metric']} over {_output.count(report['runs'], 'run')}")
    if report["message"]:
        term.write(report["message"])
    rows = report["keys"]
    if rows and not report["message"]:
        columns = [
            Column("key", [r["key"].removeprefix("config.") for r in rows]),
            Column("importance", [f"{r['importance']:.3f}" for r in rows], right=True),
            Column("bar", [_bar(r["importance"]) for r in rows], priority=0),
            Column("correlation", [_correlation(r) for r in rows], right=True),
            Column("type", [r["type"] for r in rows]),
            Column("runs", [str(r["runs"]) for r in rows], right=True),
        ]
        _output.note_hidden(_output.table(term, columns), term)
    for title, keys in (
        ("constant", report["constant"]),
        ("set by a sweep", report["fixed_by_sweep"]),
    ):
        if keys:
            names = ", ".join(k.removeprefix("config.") for k in keys)
            term.write(term.paint(f"{title}: {names}", "dim"))


def _bar(score: float) -> str:
    return "█" * round(score * 20)


def _correlation(row: dict[str, Any]) -> str:
    value = row["correlation"]
    if value is None:
        return "-"
    return f"ε²={value:.2f}" if row["correlation_method"] == "epsilon2" else f"ρ={value:+.2f}"
