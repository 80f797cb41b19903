"""`runcard doctor [--repair]`: say what is damaged in the store file, and copy everything
readable of a damaged one into a fresh store."""

from __future__ import annotations

from runcard import _settings
from runcard._cli._output import OK, STORE, USAGE, CliError, Terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    import runcard


def add_parsers(commands: Any) -> list[tuple[str, Any, argparse.ArgumentParser]]:
    parser = commands.add_parser(
        "doctor",
        help="check the store file for damage; --repair copies what is readable to a fresh one",
        description="Check the SQLite store: SQLite's integrity check, a scan of every table, "
        "and every run read back (fields, config, summary, revisions, history). Exit 0 when "
        "healthy, 3 when something is damaged. --repair copies every readable row into a fresh "
        "store file, keeps the damaged one as runcard.db.damaged-<time>, and says what could "
        "not be copied (exit 0 when nothing was lost, else 3). Stop the runs writing to the "
        "store before repairing it.",
    )
    parser.add_argument(
        "--repair", action="store_true", help="copy everything readable into a fresh store"
    )
    return [("doctor", command, parser)]


def command(args: argparse.Namespace, api: runcard.Api, term: Terminal) -> int:
    from runcard._store import _doctor

    root = _settings.store_root(args.dir)
    if _settings.is_postgres_url(root):
        raise CliError(
            "doctor checks an SQLite store file; a PostgreSQL store is checked by its server",
            USAGE,
        )
    if not args.repair:
        report = _doctor.check(root)
        for problem in report.problems:
            term.write(problem)
        if report.problems:
            readable = "" if report.runs is None else f" ({report.runs} runs listed)"
            term.write(
                f"{root}: the store is damaged{readable}; "
                "`runcard doctor --repair` copies everything readable into a fresh store"
            )
            return STORE
        term.write(f"{root}: the store is healthy ({report.runs} runs)")
        return OK
    report = _doctor.repair(root)
    for lost in report.lost:
        term.write(f"not copied: {lost}")
    for problem in report.problems:
        term.write(f"still unreadable: {problem}")
    term.write(
        f"{root}: {report.runs or 0} runs copied into a fresh store"
        f"{', not all of them whole' if report.lost else ''}; the old file is kept as "
        f"{report.kept_as}"
    )
    return STORE if report.lost or report.problems else OK
