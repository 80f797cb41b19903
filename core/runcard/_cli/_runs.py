"""`runcard runs`: list runs, or group them by config keys with aggregates of their metrics."""

from __future__ import annotations

import argparse

from runcard._cli import _output
from runcard._cli._db_groups import FROM_SUMS, database_groups
from runcard._cli._group import (
    Group,
    group_keys,
    group_runs,
    headers,
    render_groups,
    sort_groups,
    summary_keys,
    varying_keys,
)
from runcard._cli._listing import (
    NEWEST,
    PAGE,
    Selection,
    listed_runs,
    stream_keys,
    streamed_runs,
    write_stream,
)
from runcard._cli._output import CliError, Column, Terminal
from runcard._cli._stats import DEFAULT_AGGREGATES, parse_aggregates
from runcard._cli._values import (
    FIELDS,
    decimals,
    local_time,
    number,
    resolve_key,
    show,
    value_of,
)
from runcard._compare import (
    AGGREGATES,
    MISSING,
    is_number,
)
from runcard._filters import FILTER_HELP, parse_filters

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard import Api, ApiRun

GROUP_HELP = f"""\
grouping (--group-by KEY, repeatable or comma-separated):
  Runs with equal values of the keys form a group (7 and 7.0 are equal); a missing key
  and a null value are groups of their own (<missing>, null). --group-by-all-except seed
  groups by every config key that varies, except seed. Each group shows its run count
  and, for every numeric summary metric (or the keys given to --columns), the --agg
  aggregates: {", ".join(AGGREGATES)} (default {",".join(DEFAULT_AGGREGATES)}).
  std is the sample standard deviation (n - 1); ci is the 95% confidence interval of
  the mean from Student's t with n - 1 degrees of freedom; both need two runs.
  --sort takes a group key, runs, or a metric (its mean; metric.std, metric.max, ...).
keys (--group-by, --sort, --columns): config.<dotted.key>, summary.<key> or a run
field; a bare name is the config key of that name, else the summary key. Tables show
the config keys that differ between the runs (--all-keys: all of them), numeric
summary metrics, and hide columns that do not fit the terminal; json and csv hold
every key (a missing key is left out of json and an empty csv cell; null is null).
"""
STATE_STYLES = {
    "finished": "green",
    "failed": "red",
    "crashed": "red",
    "stopped": "magenta",
    "running": "yellow",
}
RUN_COLUMNS = ("path", "id", "name", "project", "entity", "group", "job_type", "tags", "state")


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "runs",
        help="list, filter, sort and group runs",
        description="List runs, or group them by config keys with aggregates of their metrics.",
        epilog=f"{FILTER_HELP}\n\n{GROUP_HELP}\n{_output.EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", nargs="?", help="PROJECT or ENTITY/PROJECT (default: all)")
    add = parser.add_argument
    add("-f", "--filter", action="append", default=[], metavar="EXPR", help="keep matching runs")
    add("-g", "--group-by", action="append", default=[], metavar="KEY", help="group by KEY")
    add(
        "-G",
        "--group-by-all-except",
        action="append",
        default=[],
        metavar="KEY",
        help="group by every varying config key but KEY",
    )
    add("--agg", default=",".join(DEFAULT_AGGREGATES), help="aggregates of each group's metrics")
    add("-s", "--sort", metavar="[-]KEY", help="sort by KEY; -KEY: descending")
    add(
        "-c",
        "--columns",
        action="append",
        default=[],
        metavar="KEY,...",
        help="the keys to show (grouped: to aggregate)",
    )
    add("-a", "--all-keys", action="store_true", help="also show config keys equal in all runs")
    add("-n", "--limit", type=int, metavar="N", help=f"show the first N rows (default {PAGE})")
    add("--all", action="store_true", help="show every matching run")
    add("--format", choices=("table", "json", "csv"), default="table")
    return [("runs", command, parser)]


def command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    filters = parse_filters(args.filter)
    try:
        aggregates = parse_aggregates(args.agg)
    except ValueError as exc:
        raise CliError(f"--agg {args.agg!r}: {exc}") from None
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit takes a positive number of rows")
    if args.limit is not None and args.all:
        raise CliError("--limit and --all: give one of them")
    columns = _split(args.columns)
    grouping = bool(args.group_by or args.group_by_all_except)
    if not grouping or _database_groups(args, aggregates):
        selection = Selection(api, args.project, filters)
        if not selection.sample:
            return no_runs(api, args, filters, term)
        if grouping:
            return grouped_in_database(selection, args, aggregates, columns, term)
        return listed(selection, args, columns, term)
    keys = None
    if not args.group_by_all_except:  # the keys needed are known: read only them
        keys = _projection([*_split(args.group_by), *columns, *([args.sort] if args.sort else [])])
        if not columns:
            keys.append("summary")  # every numeric metric is shown
    runs = fetch(api, args.project, filters, keys)
    if not runs:
        return no_runs(api, args, filters, term)
    return grouped(runs, args, aggregates, columns, term)


def no_runs(api: Api, args: argparse.Namespace, filters: Any, term: Terminal) -> int:
    """Exit NOT_FOUND (JSON: after an empty list), saying why no run was listed."""
    if args.format == "json":
        _output.write_json(term, [])
    where, hint = f"project {args.project!r}" if args.project else "the store", ""
    projects = sorted({p.name for p in api.projects()})
    if args.project and args.project.rsplit("/", 1)[-1] not in projects:
        hint = f" (there is no such project; projects: {', '.join(projects) or 'none yet'})"
    matched = "matched the filters" if filters else "exist"
    raise CliError(f"no runs {matched} in {where}{hint}", _output.NOT_FOUND)


def fetch(
    api: Api, project: str | None, filters: dict[str, Any] | None, keys: list[str] | None = None
) -> list[ApiRun]:
    """The selected runs, newest first; with `keys`, only those parts of config and summary
    (Api.runs(keys=...)). (main() pauses the cyclic garbage collector for the whole command:
    reading 10,000 runs builds hundreds of thousands of dicts, and collecting them while they
    are being built would cost more than the read.)"""
    return list(api.runs(project, filters=filters, order="-created_at", keys=keys))


def _projection(names: list[str]) -> list[str]:
    """The config and summary keys that names given on the command line may refer to: a bare
    name is looked up as config.<name>, then summary.<name>; group stats like `val_acc.std`
    read `val_acc`."""
    keys: list[str] = []
    for name in names:
        name = name.lstrip("+-")
        head = name.partition(".")[0]
        if head in ("config", "summary"):
            keys.append(name)
        elif name not in FIELDS and name != "runs":
            keys.extend((f"config.{name}", f"summary.{name}", f"summary.{head}"))
    return list(dict.fromkeys(keys))


def _split(values: list[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def grouped(
    runs: list[ApiRun],
    args: argparse.Namespace,
    aggregates: tuple[str, ...],
    columns: list[str],
    term: Terminal,
) -> int:
    keys = group_keys(runs, _split(args.group_by), _split(args.group_by_all_except))
    if columns:
        metrics = [resolve_key(name, runs, "--columns") for name in columns]
    else:
        metrics = [m for m in summary_keys(runs) if m not in keys]
    groups = group_runs(runs, keys, metrics)
    return _render_grouped(groups, len(runs), keys, metrics, args, aggregates, term)


def _database_groups(args: argparse.Namespace, aggregates: tuple[str, ...]) -> bool:
    """Whether the database can group: JSON lists each group's runs, --group-by-all-except
    needs every config, and the median every value."""
    return not args.group_by_all_except and args.format != "json" and set(aggregates) <= FROM_SUMS


def grouped_in_database(
    selection: Selection,
    args: argparse.Namespace,
    aggregates: tuple[str, ...],
    columns: list[str],
    term: Terminal,
) -> int:
    """Groups counted and summed by the database; metrics default to the numeric summary keys
    of the newest runs (Selection.sample)."""
    keys = list(dict.fromkeys(selection.resolve(n, "--group-by") for n in _split(args.group_by)))
    if columns:
        metrics = [selection.resolve(name, "--columns") for name in columns]
    else:
        metrics = [m for m in summary_keys(selection.sample) if m not in keys]
    if not all(k.startswith(("config.", "summary.")) for k in [*keys, *metrics]):
        runs = list(selection.runs(NEWEST))  # a run field: grouped here
        return grouped(runs, args, aggregates, columns, term)
    groups = database_groups(selection.runs(NEWEST), keys, metrics)
    total = sum(group.count for group in groups)
    return _render_grouped(groups, total, keys, metrics, args, aggregates, term)


def _render_grouped(
    groups: list[Group],
    total: int,
    keys: list[str],
    metrics: list[str],
    args: argparse.Namespace,
    aggregates: tuple[str, ...],
    term: Terminal,
) -> int:
    if args.sort:
        groups = sort_groups(groups, args.sort, keys, metrics)
    if args.limit:
        groups = groups[: args.limit]
    render_groups(term, args.format, groups, total, keys, metrics, aggregates)
    return _output.OK


# -- listed ------------------------------------------------------------------------------------
def listed(
    selection: Selection, args: argparse.Namespace, columns: list[str], term: Terminal
) -> int:
    """A table of a page of the runs (newest first, or by --sort), or every run as JSON / CSV."""
    if args.format != "table":
        limit = args.limit
        runs = streamed_runs(selection, args.sort, limit)
        if columns:
            keys = [selection.resolve(name, "--columns") for name in columns]
        else:
            keys = stream_keys(runs, [*RUN_COLUMNS, "created_at", "finished_at"])
        write_stream(term, args.format, runs, keys)
        return _output.OK
    limit = None if args.all else (args.limit or PAGE)
    runs = listed_runs(selection, args.sort, limit)
    same: list[str] = []
    if columns:
        keys = [selection.resolve(name, "--columns") for name in columns]
    else:
        keys = ["id", "name", "state", "created_at"]
        if len({r.project for r in runs}) > 1:
            keys.append("project")
        if len({r.group for r in runs}) > 1:
            keys.append("group")
        varying, same = varying_keys(runs)
        keys += varying + same if args.all_keys or len(runs) == 1 else varying
        keys += summary_keys(runs)
    hidden = _output.table(term, _run_columns(runs, keys))
    _output.note_hidden(hidden, term)
    total = len(runs) if limit is None or len(runs) < limit else selection.total()
    footer = _output.count(len(runs), "run")
    if total > len(runs):
        first = f"by {args.sort}" if args.sort else "newest"
        footer = f"{len(runs)} of {total} matching runs ({first} first; --limit N, --all)"
    if same and not args.all_keys and len(runs) > 1:
        footer += f"; the same in every run: {_output.count(len(same), 'config key')} (--all-keys)"
    term.write(term.paint(footer, "dim"))
    return _output.OK


_PRIORITY = {"id": 4, "state": 1, "name": 1, "created_at": 0, "project": 1, "group": 1}


def _run_columns(runs: list[ApiRun], keys: list[str]) -> list[Column]:
    titles = headers(keys)
    columns = []
    for key in keys:
        values = [value_of(r, key) for r in runs]
        if key in ("created_at", "finished_at"):
            cells = [local_time(v, seconds=False) for v in values]
            columns.append(Column(key.replace("_at", ""), cells, priority=0, name=key))
            continue
        numeric = all(is_number(v) or v is MISSING or v is None for v in values)
        if key.startswith("summary.") and numeric:  # metrics line up at four significant digits
            places = decimals(v for v in values if isinstance(v, float))
            cells = [number(v, places) if isinstance(v, float) else show(v) for v in values]
        else:
            cells = [show(v) for v in values]
        if key == "state":
            styles = [STATE_STYLES.get(v) for v in values]
        else:
            styles = ["dim" if v is MISSING or v is None else None for v in values]
        columns.append(
            Column(titles[key], cells, right=numeric, styles=styles, priority=_PRIORITY.get(key, 2))
        )
    return columns
