"""What the subcommands' parsers share: a subcommand that takes one RUN."""

from __future__ import annotations

from runcard._cli._output import EXIT_CODES_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

RUN_HELP = "entity/project/id, project/id or id"


def run_parser(
    commands: Any, name: str, description: str, **options: Any
) -> argparse.ArgumentParser:
    """The parser of subcommand `name`, which takes one RUN; its help ends with the exit codes."""
    parser = commands.add_parser(name, description=description, epilog=EXIT_CODES_HELP, **options)
    parser.add_argument("run", metavar="RUN", help=RUN_HELP)
    return parser
