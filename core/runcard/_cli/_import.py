"""`runcard import`: runs recorded by another tool, stored once however often imported."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runcard import _importing, _settings
from runcard._cli import _output
from runcard._cli._output import CliError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from runcard import Api
    from runcard._cli._output import Terminal
    from runcard._importing import SourceRun

TOOLS = ("tensorboard", "mlflow", "wandb")
DESCRIPTION = """\
Bring runs in from another tracker, through its own reader (install the extra of the same
name, e.g. pip install 'runcard[tensorboard]'):
  runcard import tensorboard LOGDIR   each folder of event files is a run: scalars become
                                      the history (steps and wall times kept), HParams the
                                      config and summary
  runcard import mlflow [--tracking-uri URI] [--experiment NAME]
                                      each MLflow run is a run: params typed back into the
                                      config (MLflow's text kept as the detail), metrics the
                                      history, tags, status and times kept, nested runs a
                                      group; one project per experiment unless --project
  runcard import wandb DIR            each run-<id>.wandb file under DIR (offline or synced
                                      run folders) is a run: config, history, summary,
                                      tags, notes, group and state; its wandb project
                                      unless --project
Importing again stores nothing twice: a run is known by its id in the source, and only
what it gained since is added. A file that cannot be read is named and skipped."""


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "import",
        help="bring runs in from TensorBoard, MLflow or wandb",
        description=DESCRIPTION,
        epilog=_output.EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tool", choices=TOOLS, help="where the runs come from")
    parser.add_argument(
        "source",
        metavar="SOURCE",
        nargs="?",
        help="tensorboard: the logdir; wandb: the wandb folder",
    )
    parser.add_argument(
        "--project", help="the project to import into (default: the logdir's or experiment's name)"
    )
    parser.add_argument("--tracking-uri", help="mlflow: the tracking URI (default: MLflow's)")
    parser.add_argument("--experiment", help="mlflow: import only this experiment")
    parser.add_argument("--entity", help="the entity (default: $RUNCARD_ENTITY, else your user)")
    return [("import", command, parser)]


def command(args: argparse.Namespace, api: Api, term: Terminal) -> int:
    problems: list[str] = []
    runs = _read(args, problems)
    entity = args.entity or _settings.default_entity()
    progress = sys.stderr.isatty()
    count = new = rows = 0
    projects: set[str] = set()
    root = _settings.store_root(args.dir)
    for project, imported in _importing.import_runs(runs, root, entity, progress):
        count += 1
        new += imported.new_run
        rows += imported.rows
        projects.add(project)
    for problem in problems:
        print(f"runcard import: skipped {problem}", file=sys.stderr)
    if not count and not problems:
        raise CliError(f"no {args.tool} runs found", _output.NOT_FOUND)
    where = ", ".join(f"{entity}/{p}" for p in sorted(projects))
    term.write(
        f"{count} runs from {args.tool} in {where or 'no project'}: {new} new, "
        f"{rows} history rows added"
    )
    return 0


def _read(args: argparse.Namespace, problems: list[str]) -> Iterator[tuple[str, SourceRun]]:
    if args.tool == "mlflow":
        from runcard import _import_mlflow

        found = _import_mlflow.read_runs(args.tracking_uri, args.experiment)
        return ((args.project or experiment, run) for experiment, run in found)
    if args.source is None:
        raise CliError(f"runcard import {args.tool} needs the folder to import")
    source = Path(args.source)
    if args.tool == "wandb":
        from runcard import _import_wandb

        runs = _import_wandb.read_runs(source, problems)
        return ((args.project or _import_wandb.project_of(run) or "wandb", run) for run in runs)
    from runcard import _import_tensorboard

    project = args.project or source.resolve().name
    return ((project, run) for run in _import_tensorboard.read_runs(source, problems))
