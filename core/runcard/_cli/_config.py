"""`runcard config RUN`, `runcard config blame RUN [KEY]` and `runcard rerun RUN`: a run's config
as a file that reproduces it with `--configs`, where each value came from, and the command line
that runs it again."""

from __future__ import annotations

import argparse
import os
import sys

from runcard._cli import _output
from runcard._cli._output import CliError, Column, Terminal
from runcard._cli._parsers import run_parser
from runcard._cli._values import find_run, local_time, show

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard import Api, ApiRun

# keys a config file reader skips (wandb's bookkeeping); such a config key cannot travel in a file
IGNORED_FILE_KEYS = ("wandb_version", "_wandb")


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    config = run_parser(
        commands,
        "config",
        help="a run's config as YAML or JSON (reproduces it with --configs); "
        "config blame RUN [KEY]: where each value came from",
        description="Print a run's config as a file that reproduces it: python train.py "
        "--configs FILE. Values keep their types (2.0 stays a float); descriptions travel in "
        "the {desc, value} form. See also: runcard config blame RUN [KEY].",
    )
    config.add_argument("--format", choices=("yaml", "json"), default="yaml")
    config.add_argument("-o", "--output", metavar="FILE", help="write FILE instead of stdout")
    blame = run_parser(
        commands,
        "config-blame",
        prog="runcard config blame",
        description="Each config key's source (defaults-file, configs-file, init, code with "
        "file:line, argparse, absl, hydra, sweep, api, ...) and its revisions, oldest first.",
    )
    blame.add_argument("key", nargs="?", metavar="KEY", help="one key, or the keys under it")
    blame.add_argument("--format", choices=("table", "json"), default="table")
    rerun = run_parser(
        commands,
        "rerun",
        help="the command line that runs a run again (its argv + a --configs file)",
        description="Write the run's config to a file and print the command line that runs "
        "it again: cd CWD && PYTHON SCRIPT --configs FILE ARGS... Pipe it to sh to run it.",
    )
    rerun.add_argument(
        "-o", "--output", metavar="FILE", help="the config file (default: ./<run id>.yaml)"
    )
    rerun.add_argument("--format", choices=("yaml", "json"), default="yaml")
    return [
        ("config", config_command, config),
        ("config blame", blame_command, blame),
        ("rerun", rerun_command, rerun),
    ]


# -- config ------------------------------------------------------------------------------------
def document(run: ApiRun) -> dict[str, Any]:
    """The run's config in the file form `--configs` reads: plain `key: value`, or `key: {desc,
    value}` for a key with a description or a value that would read as that form."""
    out: dict[str, Any] = {}
    for key, value in run.config.items():
        if key in IGNORED_FILE_KEYS:
            print(
                f"runcard: warning: config key {key!r} of {run.path} is skipped when a config "
                "file is read; it is left out",
                file=sys.stderr,
            )
            continue
        desc = run.descriptions.get(key)
        ambiguous = isinstance(value, dict) and "value" in value and set(value) <= {"value", "desc"}
        if desc is not None:
            out[key] = {"desc": desc, "value": value}
        elif ambiguous:
            out[key] = {"value": value}
        else:
            out[key] = value
    return out


def render(run: ApiRun, format: str) -> str:
    data = document(run)
    if format == "json":
        return json_text(data, run) + "\n"
    import yaml

    head = f"# runcard config of {run.path} ({run.name}); run it again with --configs THIS_FILE\n"
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return head + ("" if not data else body)


def json_text(value: Any, run: ApiRun, depth: int = 0) -> str:
    """JSON that YAML 1.1 (the --configs reader) reads back with the same types: floats always
    carry a decimal point (`1.0e-05`; PyYAML reads `1e-05` as text)."""
    import json

    if isinstance(value, float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            print(
                f"runcard: warning: {run.path} has an infinite or NaN value, which JSON cannot "
                "hold and YAML reads back as text: use --format yaml",
                file=sys.stderr,
            )
            return json.dumps(value)
        text = repr(value)
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {json_text(v, run, depth + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        items = [f"{inner}{json_text(v, run, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def config_command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    run = find_run(api, args.run)
    text = render(run, args.format)
    if args.output:
        _write(args.output, text)
        print(f"runcard: wrote the config of {run.path} to {args.output}", file=sys.stderr)
    else:
        term.stream.write(text)
    return _output.OK


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


# -- blame -------------------------------------------------------------------------------------
def blame_command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    run = find_run(api, args.run)
    provenance = run.provenance()
    keys = list(provenance)
    if args.key:
        wanted = args.key.removeprefix("config.")
        keys = [k for k in keys if k == wanted or k.startswith(wanted + ".")]
        if not keys:
            import difflib

            close = difflib.get_close_matches(wanted, list(provenance), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise CliError(
                f"run {run.path} has no config key {args.key!r}{hint}", _output.NOT_FOUND
            )
    if args.format == "json":
        _output.write_json(term, {k: provenance[k] for k in keys})
        return _output.OK
    if not keys:
        term.write(term.paint(f"run {run.path} has no config", "dim"))
        return _output.OK
    rows: list[tuple[str, str, str, str, str, str]] = []
    for key in keys:
        for i, rev in enumerate(provenance[key]):
            removed = rev.get("detail") == "removed"
            rows.append(
                (
                    key if i == 0 else "",
                    "<removed>" if removed else show(rev["value"]),
                    str(rev["source"]),
                    "" if removed or rev.get("detail") is None else str(rev["detail"]),
                    "" if rev.get("step") is None else str(rev["step"]),
                    _time(rev.get("time")),
                )
            )
    titles = ("key", "value", "source", "detail", "step", "time")
    priorities = (4, 3, 3, 2, 1, 0)
    columns = [
        Column(t, [r[i] for r in rows], right=t == "step", priority=priorities[i])
        for i, t in enumerate(titles)
    ]
    _output.table(term, columns)
    return _output.OK


def _time(timestamp: Any) -> str:
    if not isinstance(timestamp, (int, float)):
        return ""
    import datetime

    try:
        moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    except (ValueError, OverflowError, OSError):  # not a time: shown as none
        return ""
    return local_time(moment.isoformat())


# -- rerun -------------------------------------------------------------------------------------
def command_line(run: ApiRun, config_path: str) -> str:
    """`cd CWD && PYTHON SCRIPT --configs FILE ARGS...` from the run's host metadata."""
    import shlex

    meta = run.metadata
    argv = [str(a) for a in meta.get("argv") or []]
    if not argv or argv[0] in ("", "-c", "-"):
        how = f"python {argv[0]}" if argv else "an interactive session"
        raise CliError(
            f"run {run.path} was started from {how}: there is no script to run again "
            f"(its config is still available: runcard config {run.path})",
            _output.NOT_FOUND,
        )
    program = meta.get("program")
    script = program if isinstance(program, str) and os.path.isabs(program) else argv[0]
    python = meta.get("executable") or "python"
    line = shlex.join([python, script, "--configs", config_path, *argv[1:]])
    cwd = meta.get("cwd")
    return f"cd {shlex.quote(cwd)} && {line}" if cwd else line


def rerun_command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    run = find_run(api, args.run)
    path = os.path.abspath(args.output or f"{run.id}.{'json' if args.format == 'json' else 'yaml'}")
    text = render(run, args.format)
    line = command_line(run, path)
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            if f.read() != text:
                raise CliError(f"{path} exists and holds something else: choose a file with -o")
    else:
        _write(path, text)
    meta = run.metadata
    print(f"runcard: the config of {run.path} is in {path}", file=sys.stderr)
    if meta.get("git_commit"):
        dirty = meta.get("git_dirty")
        note = " with uncommitted changes, which were not recorded" if dirty else ""
        print(f"runcard: it ran at git commit {meta['git_commit']}{note}", file=sys.stderr)
    term.write(line)
    return _output.OK
