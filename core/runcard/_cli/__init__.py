"""The `runcard` command: parse the command line, run a subcommand, turn failures into exit codes.
Each command family is a module of this package with an `add_parsers(commands)`.

Only the CLI modules (and the web app) write to stdout. They read the store through the public
`runcard.Api` alone, and are imported only by the `runcard` command and `python -m runcard`.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

import runcard
from runcard._cli import (
    _config,
    _demo,
    _doctor,
    _export,
    _import,
    _importance,
    _inspect,
    _runs,
    _serve,
    _sweep,
    _sync,
)
from runcard._cli._output import EXIT_CODES_HELP, NOT_FOUND, STORE, USAGE, CliError, Terminal
from runcard._cli._values import KeyNotFound
from runcard._filters import FilterError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

COMMANDS = (
    _runs,
    _inspect,
    _config,
    _importance,
    _export,
    _import,
    _demo,
    _sync,
    _doctor,
    _serve,
    _sweep,
)
DIR_HELP = "the store directory (default: $RUNCARD_DIR, else ~/.runcard)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runcard",
        description=runcard.__doc__.splitlines()[0],
        epilog="A RUN is entity/project/id, project/id or a run id.\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"runcard {runcard.__version__}")
    parser.add_argument("--dir", help=DIR_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        for name, handler, sub in module.add_parsers(commands):
            sub.add_argument("--dir", default=argparse.SUPPRESS, help=DIR_HELP)
            sub.set_defaults(handler=handler, command_name=name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_rewrite(list(sys.argv[1:] if argv is None else argv)))
    term = Terminal()
    # a command reads, shows and exits: the cyclic collector would only rescan the runs it read
    collecting = gc.isenabled()
    gc.disable()
    try:
        return int(args.handler(args, runcard.Api(dir=args.dir), term))
    except CliError as exc:
        return _fail(args, str(exc), exc.code)
    except (FilterError, KeyNotFound, runcard.UsageError) as exc:
        return _fail(args, str(exc), USAGE)
    except runcard.RunNotFoundError as exc:
        return _fail(args, str(exc), NOT_FOUND)
    except runcard.StoreError as exc:
        return _fail(args, str(exc), STORE)
    except runcard.Error as exc:
        return _fail(args, str(exc), USAGE)
    except BrokenPipeError:  # `runcard runs | head`: the reader left, which is not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        if collecting:
            gc.enable()


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    sys.stdout.flush()
    print(f"runcard {args.command_name}: {message}", file=sys.stderr)
    return code


def _rewrite(argv: list[str]) -> list[str]:
    """Two spellings argparse cannot take as they are: `--sort -KEY` (a value that starts with
    a dash) and the two-word command `config blame`."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in ("--sort", "-s") and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"--sort={argv[i + 1]}")
            i += 2
            continue
        out.append(token)
        i += 1
    position = 0
    while position < len(out) and out[position].startswith("-"):
        position += 2 if out[position] == "--dir" else 1
    if out[position : position + 2] == ["config", "blame"]:
        out[position : position + 2] = ["config-blame"]
    return out


if __name__ == "__main__":
    sys.exit(main())
