"""Grouping runs for `runcard runs --group-by` (and `runcard demo`): which config keys vary,
groups by the values of keys (a missing key and a null apart), aggregates of each group's
metrics, and the groups as a table, JSON or CSV."""

from __future__ import annotations

from runcard._cli import _output
from runcard._cli._output import CliError, Column, Terminal
from runcard._cli._values import decimals, getter, number, resolve_key, show
from runcard._compare import (
    AGGREGATES,
    MISSING,
    aggregate,
    flatten_stored,
    group,
    is_number,
    sort_by,
    summary_metrics,
    varying_config,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard import ApiRun


def varying_keys(runs: list[ApiRun]) -> tuple[list[str], list[str]]:
    """(config keys whose value differs between runs, keys equal in every run)."""
    return varying_config([flatten_stored(r.config) for r in runs])


def summary_keys(runs: list[ApiRun]) -> list[str]:
    """The summary keys holding a number in at least one run, `_`-prefixed keys left out."""
    return sorted(summary_metrics(r.summary for r in runs))


def headers(keys: list[str]) -> dict[str, str]:
    """Column titles: keys without their config./summary. prefix unless two would read alike."""
    short = {k: k.partition(".")[2] if k.startswith(("config.", "summary.")) else k for k in keys}
    taken: dict[str, int] = {}
    for title in short.values():
        taken[title] = taken.get(title, 0) + 1
    return {k: (t if taken[t] == 1 else k) for k, t in short.items()}


# -- groups ------------------------------------------------------------------------------------
class Group:
    """A group's key values, its runs (none when the database counted them: `count`), and the
    aggregates of each metric."""

    __slots__ = ("count", "runs", "stats", "values")

    def __init__(self, values: tuple[Any, ...], runs: list[ApiRun], count: int = 0) -> None:
        self.values = values
        self.runs = runs
        self.count = count or len(runs)
        self.stats: dict[str, dict[str, Any]] = {}


def group_runs(runs: list[ApiRun], keys: list[str], metrics: list[str]) -> list[Group]:
    """Runs grouped by the values of `keys` (7 and 7.0 alike; missing and null apart), each
    group with the aggregates of every metric, sorted by the key values."""
    groups = [Group(values, members) for values, members in group(runs, list(map(getter, keys)))]
    for metric in metrics:
        read = getter(metric)
        for one in groups:
            numbers = [v for v in map(read, one.runs) if is_number(v)]
            one.stats[metric] = aggregate(numbers)
    return groups


def group_keys(runs: list[ApiRun], by: list[str], all_except: list[str]) -> list[str]:
    keys = [resolve_key(name, runs, "--group-by") for name in by]
    if all_except:
        excluded = [resolve_key(name, runs, "--group-by-all-except") for name in all_except]
        varying, _ = varying_keys(runs)
        for key in varying:
            if key not in keys and not any(key == x or key.startswith(x + ".") for x in excluded):
                keys.append(key)
    return list(dict.fromkeys(keys))


def render_groups(
    term: Terminal,
    format: str,
    groups: list[Group],
    total: int,
    keys: list[str],
    metrics: list[str],
    aggregates: tuple[str, ...],
) -> None:
    if format == "json":
        _output.write_json(term, [_group_record(g, keys, metrics, aggregates) for g in groups])
    elif format == "csv":
        header = [*keys, "runs"]
        for metric in metrics:
            for agg in aggregates:
                header += (
                    [f"{metric}.ci95_low", f"{metric}.ci95_high"]
                    if agg == "ci"
                    else [f"{metric}.{agg}"]
                )
        _output.write_csv(term, header, [_group_row(g, metrics, aggregates) for g in groups])
    else:
        titles = headers([*keys, *metrics])
        hidden = _output.table(term, _group_columns(groups, keys, metrics, aggregates, titles))
        _output.note_hidden(hidden, term)
        varied = f" by {', '.join(titles[k] for k in keys)}" if keys else ""
        groups_text = f"{_output.count(len(groups), 'group')} of {_output.count(total, 'run')}"
        term.write(term.paint(f"{groups_text}{varied}", "dim"))


def sort_groups(groups: list[Group], sort: str, keys: list[str], metrics: list[str]) -> list[Group]:
    descending = sort.startswith("-")
    name = sort.lstrip("+-")
    if name in ("runs", "count"):
        return sort_by(groups, lambda g: g.count, descending)
    titles = headers([*keys, *metrics])
    for i, key in enumerate(keys):
        if name in (key, titles[key]):
            return sort_by(groups, lambda g, i=i: g.values[i], descending)
    for metric in metrics:
        names = {metric: "mean", titles[metric]: "mean"}
        for agg in AGGREGATES:
            names[f"{metric}.{agg}"] = names[f"{titles[metric]}.{agg}"] = agg
        if name in names:

            def stat(g: Group, m: str = metric, a: str = names[name]) -> Any:
                value = g.stats[m][a]
                if value is None:
                    return MISSING
                return value[0] if a == "ci" else value

            return sort_by(groups, stat, descending)
    choices = ", ".join(["runs", *(titles[k] for k in [*keys, *metrics])])
    raise CliError(f"--sort {name!r}: sort groups by one of {choices} (metric.std and the like)")


def _group_record(
    group: Group, keys: list[str], metrics: list[str], aggregates: tuple[str, ...]
) -> dict[str, Any]:
    stats = {}
    for metric in metrics:
        values = group.stats[metric]
        entry = {"count": values["count"]}
        for agg in aggregates:
            entry["ci95" if agg == "ci" else agg] = (
                list(values[agg]) if agg == "ci" and values[agg] else values[agg]
            )
        stats[metric] = entry
    return {
        "group": {k: v for k, v in zip(keys, group.values, strict=True) if v is not MISSING},
        "runs": group.count,
        "paths": [r.path for r in group.runs],
        "metrics": stats,
    }


def _group_row(group: Group, metrics: list[str], aggregates: tuple[str, ...]) -> list[Any]:
    row: list[Any] = [*group.values, group.count]
    for metric in metrics:
        values = group.stats[metric]
        for agg in aggregates:
            if agg == "ci":
                row += list(values["ci"]) if values["ci"] else ["", ""]
            else:
                row.append("" if values[agg] is None else values[agg])
    return row


def _group_columns(
    groups: list[Group],
    keys: list[str],
    metrics: list[str],
    aggregates: tuple[str, ...],
    titles: dict[str, str],
) -> list[Column]:
    columns = []
    for i, key in enumerate(keys):
        values = [g.values[i] for g in groups]
        columns.append(
            Column(
                titles[key],
                [show(v, missing="<missing>") for v in values],
                right=all(is_number(v) for v in values),
                styles=["dim" if v is None or v is MISSING else "cyan" for v in values],
                priority=3,
            )
        )
    columns.append(Column("runs", [str(g.count) for g in groups], right=True, priority=3))
    for metric in metrics:
        stats = [g.stats[metric] for g in groups]
        title = titles[metric]
        places = decimals(s["mean"] for s in stats)
        spread = "mean" in aggregates and "std" in aggregates
        for agg in aggregates:
            if agg == "std" and spread:
                continue
            if agg == "mean" and spread:
                cells = [_mean_std(s, places) for s in stats]
                columns.append(Column(title, cells, right=True, priority=2))
            elif agg == "ci":
                cells = [_interval(s["ci"], places) for s in stats]
                columns.append(Column(f"{title} 95% CI", cells, right=True))
            elif agg == "count":
                columns.append(Column(f"{title} n", [str(s["count"]) for s in stats], right=True))
            else:
                header = title if agg == "mean" else f"{title} {agg}"
                cells = [number(s[agg], places) for s in stats]
                columns.append(
                    Column(header, cells, right=True, priority=2 if agg == "mean" else 1)
                )
    return columns


def _mean_std(stats: dict[str, Any], places: int | None) -> str:
    if stats["mean"] is None:
        return "-"
    if stats["std"] is None:
        return number(stats["mean"], places)
    return f"{number(stats['mean'], places)} ± {number(stats['std'], places)}"


def _interval(ci: tuple[float, float] | None, places: int | None) -> str:
    return "-" if ci is None else f"[{number(ci[0], places)}, {number(ci[1], places)}]"
