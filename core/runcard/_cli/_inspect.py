"""`runcard show RUN` and `runcard diff RUN RUN...`: one run in full, or what differs between
runs (a missing key, a null and a value are three different things), summaries side by side."""

from __future__ import annotations

import argparse

from runcard._cli import _output
from runcard._cli._output import CliError, Column, Terminal
from runcard._cli._parsers import run_parser
from runcard._cli._values import duration, find_run, local_time, show
from runcard._compare import MISSING, differs, flatten_stored, keys_in_order

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard import Api, ApiRun

# the run fields `show` lists and `diff` compares
SHOWN_FIELDS = ("project", "entity", "group", "job_type", "tags", "notes", "state", "exit_code")
HOST_KEYS = (
    "program",
    "argv",
    "cwd",
    "python",
    "executable",
    "hostname",
    "pid",
    "git_commit",
    "git_dirty",
    "git_root",
)
# facts that differ between any two runs and say nothing about their settings
UNCOMPARED_HOST_KEYS = ("pid",)


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    show_parser = run_parser(
        commands,
        "show",
        help="a run's fields, config (with descriptions and sources), summary and host",
        description="Show one run: its fields, config (nested, with each value's source and "
        "description), summary and host metadata.",
    )
    show_parser.add_argument("--format", choices=("table", "json"), default="table")
    diff_parser = commands.add_parser(
        "diff",
        help="the config keys, fields and host facts that differ; summaries side by side",
        description="Compare runs: the config keys that differ (<missing> when a run lacks the "
        "key, null for a stored null), their summaries side by side, and the run fields and "
        "host facts that differ. Exits 0 whether or not the runs differ.",
        epilog=_output.EXIT_CODES_HELP,
    )
    diff_parser.add_argument("runs", nargs="+", metavar="RUN", help="two runs or more")
    diff_parser.add_argument("-a", "--all", action="store_true", help="show equal keys too")
    diff_parser.add_argument("--format", choices=("table", "json"), default="table")
    return [("show", show_command, show_parser), ("diff", diff_command, diff_parser)]


# -- show --------------------------------------------------------------------------------------
def record(run: ApiRun) -> dict[str, Any]:
    return {
        "path": run.path,
        "id": run.id,
        "name": run.name,
        "entity": run.entity,
        "project": run.project,
        "group": run.group,
        "job_type": run.job_type,
        "tags": run.tags,
        "notes": run.notes,
        "state": run.state,
        "sweep": getattr(run, "sweep", None),
        "exit_code": getattr(run, "exit_code", None),
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "config": run.config,
        "descriptions": run.descriptions,
        "summary": run.summary,
        "metadata": run.metadata,
    }


def show_command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    run = find_run(api, args.run)
    if args.format == "json":
        _output.write_json(term, record(run))
        return _output.OK
    state = run.state
    if getattr(run, "exit_code", None) is not None:
        state += f", exit code {run.exit_code}"
    fields = [
        ("run", f"{run.path}  ({run.name})"),
        ("state", state),
        ("created", local_time(run.created_at)),
        (
            "finished",
            f"{local_time(run.finished_at)}  ({duration(run.created_at, run.finished_at)})",
        ),
        ("group", run.group),
        ("job type", run.job_type),
        ("sweep", getattr(run, "sweep", None)),
        ("tags", ", ".join(run.tags) if run.tags else None),
        ("notes", run.notes),
    ]
    shown = [
        (k, v) for k, v in fields if v is not None and not (k == "finished" and not run.finished_at)
    ]
    _pairs(term, shown, indent="")
    term.write()
    _config_section(term, run)
    term.write()
    term.write(term.paint("summary", "bold"))
    _pairs(term, [(k, show(v)) for k, v in flatten_stored(run.summary).items()] or [("(none)", "")])
    term.write()
    term.write(term.paint("host", "bold"))
    meta = run.metadata
    keys = [k for k in HOST_KEYS if k in meta] + [k for k in meta if k not in HOST_KEYS]
    _pairs(term, [(k, show(_host_value(k, meta[k]))) for k in keys] or [("(none)", "")])
    return _output.OK


def _pairs(term: Terminal, pairs: list[tuple[str, Any]], indent: str = "  ") -> None:
    if pairs:
        keys = Column("key", [k for k, _ in pairs], priority=3)
        values = Column("value", [str(v) for _, v in pairs], priority=3)
        _output.table(term, [keys, values], header=False, indent=indent)


def _host_value(key: str, value: Any) -> Any:
    """argv as the shell line it was; other facts as they are."""
    if key == "argv" and isinstance(value, list):
        import shlex

        return shlex.join(map(str, value))
    return value


def _config_section(term: Terminal, run: ApiRun) -> None:
    """The config as a tree, each leaf with the source of its value and its description."""
    provenance = run.provenance()
    descriptions = run.descriptions
    rows: list[tuple[str, str, str, str]] = []

    def walk(node: dict[str, Any], prefix: str, depth: int) -> None:
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            label = "  " * depth + key
            if isinstance(value, dict) and value:
                rows.append((label, "", "", descriptions.get(dotted, "")))
                walk(value, f"{dotted}.", depth + 1)
                continue
            revisions = provenance.get(dotted, [])
            source = _source(revisions[-1]) if revisions else ""
            if len(revisions) > 1:
                source += f" ({len(revisions)} revisions)"
            rows.append((label, show(value), source, descriptions.get(dotted, "")))

    walk(run.config, "", 0)
    header = "config" + ("" if rows else "  (none)")
    term.write(term.paint(header, "bold"))
    if not rows:
        return
    columns = [
        Column("key", [r[0] for r in rows], priority=3),
        Column("value", [r[1] for r in rows], priority=3),
        Column("source", [r[2] for r in rows], styles=["dim"] * len(rows), priority=1),
        Column("description", [r[3] for r in rows], styles=["dim"] * len(rows), priority=1),
    ]
    if not any(r[3] for r in rows):
        columns.pop()
    _output.table(term, columns, header=False, indent="  ")


def _source(revision: dict[str, Any]) -> str:
    detail = revision.get("detail")
    return f"{revision['source']} {detail}" if detail else str(revision["source"])


# -- diff --------------------------------------------------------------------------------------
def sections(runs: list[ApiRun], everything: bool) -> dict[str, dict[str, list[Any]]]:
    """{section: {key: [value per run]}}: config, run fields and host facts that differ (all of
    them with `everything`), and every summary key."""
    configs = [flatten_stored(r.config) for r in runs]
    summaries = [flatten_stored(r.summary) for r in runs]
    out: dict[str, dict[str, list[Any]]] = {"config": {}, "summary": {}, "run": {}, "host": {}}
    for key in keys_in_order(configs):
        values = [c.get(key, MISSING) for c in configs]
        if everything or differs(values):
            out["config"][key] = values
    for key in keys_in_order(summaries):
        out["summary"][key] = [s.get(key, MISSING) for s in summaries]
    for field in SHOWN_FIELDS:
        values = [getattr(r, field, MISSING) for r in runs]
        if everything or differs(values):
            out["run"][field] = values
    metas = [{k: _host_value(k, v) for k, v in r.metadata.items()} for r in runs]
    for key in keys_in_order(metas):
        values = [m.get(key, MISSING) for m in metas]
        if key not in UNCOMPARED_HOST_KEYS and (everything or differs(values)):
            out["host"][key] = values
    return out


def diff_command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    if len(args.runs) < 2:
        raise CliError("diff compares two runs or more: runcard diff RUN RUN...")
    runs = [find_run(api, text) for text in args.runs]
    found = sections(runs, args.all)
    if args.format == "json":
        paths = [r.path for r in runs]
        data: dict[str, Any] = {"runs": paths}
        for name, keys in found.items():
            data[name] = {
                key: {p: v for p, v in zip(paths, values, strict=True) if v is not MISSING}
                for key, values in keys.items()
            }
        _output.write_json(term, data)
        return _output.OK
    labels: list[str] = []
    label_styles: list[str | None] = []
    cells: list[list[str]] = [[] for _ in runs]
    styles: list[list[str | None]] = [[] for _ in runs]

    def add(label: str, values: list[Any] | None, style: str | None = None) -> None:
        labels.append(label)
        label_styles.append(style)
        changed = values is not None and differs(values)
        for i in range(len(runs)):
            if values is None:
                cells[i].append("")
                styles[i].append(None)
                continue
            value = values[i]
            cells[i].append(show(value, missing="<missing>"))
            dim = value is MISSING or value is None
            styles[i].append("dim" if dim else "yellow" if changed else None)

    add("name", [r.name for r in runs])
    for name, keys in found.items():
        add(name, None, "bold")
        if not keys:
            add("  (the same)" if name != "summary" else "  (none)", None, "dim")
        for key, values in keys.items():
            add(f"  {key}", values)
    columns = [Column("", labels, styles=label_styles, priority=4)]
    for i, run in enumerate(runs):
        columns.append(Column(run.id, cells[i], styles=styles[i], priority=2, name=run.path))
    _output.note_hidden(_output.table(term, columns), term)
    if not args.all:
        differ = len(found["config"])
        same = len(keys_in_order([flatten_stored(r.config) for r in runs])) - differ
        verb = "differs" if differ == 1 else "differ"
        text = f"{_output.count(differ, 'config key')} {verb}, {same} {'is' if same == 1 else 'are'} the same"
        term.write(term.paint(f"{text} (--all shows them)", "dim"))
    return _output.OK
