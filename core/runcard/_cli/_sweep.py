"""`runcard sweep`, `runcard agent` and `runcard sweeps`: wandb's sweep commands, run locally
(or on the `runcard server` at RUNCARD_URL)."""

from __future__ import annotations

import argparse

from runcard import _sweep
from runcard._cli._output import Column, Terminal, table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# --stop: no new runs (running ones finish); --cancel: no new runs, and the sweep is over;
# --pause / --resume: no new runs until resumed
STATE_FLAGS = {"stop": "stopped", "cancel": "cancelled", "pause": "paused", "resume": "running"}


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    sweep = commands.add_parser(
        "sweep",
        help="start a sweep from wandb's YAML, or stop, cancel, pause or resume one",
        description="Store the sweep of FILE (wandb's sweep YAML) and print its id; or change "
        "the state of sweep ID. Agents (`runcard agent ID`) then run its suggestions.",
    )
    sweep.add_argument("file", nargs="?", metavar="FILE", help="the sweep's YAML file")
    sweep.add_argument(
        "--project",
        help="the sweep's project (default: the file's, else $RUNCARD_PROJECT, else uncategorized)",
    )
    sweep.add_argument("--entity")
    states = sweep.add_mutually_exclusive_group()
    for flag in STATE_FLAGS:
        states.add_argument(f"--{flag}", metavar="ID", help=f"{flag} sweep ID")
    agent = commands.add_parser(
        "agent",
        help="run a sweep's suggestions with its program",
        description="Claim the sweep's next suggestion and run the program of its file with "
        "wandb's command macros; repeat until the sweep has nothing left or COUNT runs ran.",
    )
    agent.add_argument("sweep_id", metavar="ID")
    agent.add_argument("--count", type=int, help="stop after this many runs")
    listing = commands.add_parser(
        "sweeps", help="list sweeps", description="List the sweeps: state, runs, best value."
    )
    listing.add_argument("project", nargs="?", metavar="PROJECT")
    return [
        ("sweep", run_sweep, sweep),
        ("agent", run_agent, agent),
        ("sweeps", list_sweeps, listing),
    ]


def run_sweep(args: argparse.Namespace, api: Any, term: Terminal) -> int:
    changes = [(flag, getattr(args, flag)) for flag in STATE_FLAGS if getattr(args, flag)]
    if changes:
        if args.file:
            raise _sweep.UsageError("give FILE, or one of --stop/--cancel/--pause/--resume ID")
        flag, sweep_id = changes[0]
        _sweep.set_state(sweep_id, STATE_FLAGS[flag], dir=args.dir)
        term.write(f"sweep {sweep_id}: {STATE_FLAGS[flag]}")
        return 0
    if not args.file:
        raise _sweep.UsageError("give a sweep FILE, or --stop/--cancel/--pause/--resume ID")
    term.write(_sweep.sweep(args.file, project=args.project, entity=args.entity, dir=args.dir))
    return 0


def run_agent(args: argparse.Namespace, api: Any, term: Terminal) -> int:
    ran = _sweep.agent(args.sweep_id, count=args.count, dir=args.dir)
    term.write(f"agent: {ran} run{'s' if ran != 1 else ''} of sweep {args.sweep_id}")
    return 0


def list_sweeps(args: argparse.Namespace, api: Any, term: Terminal) -> int:
    sweeps = _sweep.sweeps(args.project, dir=args.dir)
    if not sweeps:
        term.write("no sweeps" + (f" in project {args.project}" if args.project else ""))
        return 0
    rows = [_row(sweep) for sweep in sweeps]
    headers = (
        "id",
        "name",
        "project",
        "method",
        "state",
        "runs",
        "done",
        "running",
        "failed",
        "best",
    )
    columns = [
        Column(header, [row[i] for row in rows], right=i >= 5) for i, header in enumerate(headers)
    ]
    table(term, columns)
    return 0


def _row(sweep: dict[str, Any]) -> list[str]:
    slots = sweep["runs"]
    states = [slot["state"] for slot in slots]
    metric = sweep["spec"].get("metric")
    values = [slot["value"] for slot in slots if slot["value"] is not None]
    best = ""
    if metric and values:
        pick = max if metric["goal"] == "maximize" else min
        best = f"{metric['name']}={pick(values):.6g}"
    return [
        sweep["sweep_id"],
        sweep.get("name") or "",
        sweep["project"],
        sweep["spec"]["method"],
        sweep["state"],
        str(len(slots)),
        str(sum(s in ("finished", "stopped") for s in states)),
        str(sum(s in ("running", None) for s in states)),
        str(sum(s in ("failed", "crashed") for s in states)),
        best,
    ]
