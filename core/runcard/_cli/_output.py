"""What the CLI writes: aligned tables that fit the terminal, JSON and CSV, colour only on a TTY
(never with NO_COLOR), and the exit codes scripts can rely on."""

from __future__ import annotations

import os
import sys

from runcard._compare import MISSING

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TextIO

OK = 0
NOT_FOUND = 1  # nothing matched: no run, no key, an empty selection
USAGE = 2  # a command line that cannot work: bad filter, unknown key or option
STORE = 3  # the store could not be read
SERVER = 4  # the tracking server could not be reached, refused, or holds other data

EXIT_CODES_HELP = """\
exit codes: 0 success; 1 nothing matched (no such run or key, no run passed the filters);
2 usage error (bad option, filter, key or aggregate); 3 the store could not be read;
4 the tracking server could not be reached, refused, or its copy differs (sync --verify)."""

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
GAP = "  "
MIN_WIDTH = 10


class CliError(Exception):
    """A failure the CLI reports on stderr and turns into its exit code."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


class Terminal:
    """Where output goes and how it may look: colour, and the width a table must fit."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        tty = _isatty(self.stream)
        self.colour = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self.width = _width(tty)

    def paint(self, text: str, style: str | None) -> str:
        if not self.colour or not style or not text:
            return text
        codes = ";".join(_CODES[s] for s in style.split("+"))
        return f"\033[{codes}m{text}\033[0m"

    def write(self, text: str = "") -> None:
        self.stream.write(text + "\n")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _width(tty: bool) -> int | None:
    """$COLUMNS when set, the terminal's width on a TTY, else no limit (a pipe or a file)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if tty:
        import shutil

        return shutil.get_terminal_size().columns
    return None


class Column:
    """A table column: a header, its cells, alignment, optional per-cell styles and a priority
    (columns of lower priority are hidden first when the terminal is too narrow)."""

    def __init__(
        self,
        header: str,
        cells: list[str],
        right: bool = False,
        styles: list[str | None] | None = None,
        priority: int = 1,
        name: str | None = None,
    ) -> None:
        self.header = header
        self.cells = cells
        self.right = right
        self.styles = styles
        self.priority = priority
        self.name = name or header
        self.natural = max([len(header), *map(len, cells)])


def table(
    term: Terminal, columns: list[Column], header: bool = True, indent: str = ""
) -> list[str]:
    """Write `columns` as an aligned table that fits the terminal; returns the names of the
    columns that had to be hidden."""
    shown, widths = fit(columns, None if term.width is None else term.width - len(indent))
    if header:
        cells = [_pad(c.header, w, c.right) for c, w in zip(shown, widths, strict=True)]
        term.write(indent + term.paint(GAP.join(cells).rstrip(), "bold"))
    rows = len(shown[0].cells) if shown else 0
    for i in range(rows):
        parts = []
        for column, w in zip(shown, widths, strict=True):
            text = _pad(column.cells[i], w, column.right)
            parts.append(term.paint(text, column.styles[i] if column.styles else None))
        term.write((indent + GAP.join(parts)).rstrip())
    return [c.name for c in columns if c not in shown]


def fit(columns: list[Column], limit: int | None) -> tuple[list[Column], list[int]]:
    """The columns that fit in `limit` characters and their widths: optional columns (priority
    0) are left out first, then wide columns are cut to a common cap, and when even that cannot
    fit, the least important columns (rightmost first) are left out."""
    shown = list(columns)
    if limit is None:
        return shown, [c.natural for c in shown]

    def natural(cols: list[Column]) -> int:
        return sum(c.natural for c in cols) + len(GAP) * (len(cols) - 1)

    while natural(shown) > limit and any(c.priority <= 0 for c in shown[1:]):
        # optional columns (priority 0) go before any other is cut
        del shown[max(i for i, c in enumerate(shown) if c.priority <= 0 and i > 0)]
    while shown:
        floor = sum(min(c.natural, MIN_WIDTH) for c in shown) + len(GAP) * (len(shown) - 1)
        if floor <= limit or len(shown) == 1:
            break
        lowest = min(c.priority for c in shown)
        victim = max(i for i, c in enumerate(shown) if c.priority == lowest)
        del shown[victim]
    naturals = [c.natural for c in shown]
    room = max(limit - len(GAP) * (len(shown) - 1), 1)
    if sum(naturals) <= room:
        return shown, naturals
    low, high = 0, max(naturals)
    while low < high:  # the largest cap at which the capped widths still fit
        cap = (low + high + 1) // 2
        if sum(min(n, max(cap, min(n, MIN_WIDTH))) for n in naturals) <= room:
            low = cap
        else:
            high = cap - 1
    return shown, [min(n, max(low, min(n, MIN_WIDTH))) for n in naturals]


def _pad(text: str, width: int, right: bool) -> str:
    if len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    return text.rjust(width) if right else text.ljust(width)


def count(n: int, noun: str) -> str:
    """`1 run`, `2 runs`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def note_hidden(hidden: Sequence[str], term: Terminal) -> None:
    if hidden:
        term.stream.flush()
        width = f"{term.width} characters" if term.width else "the terminal"
        print(
            f"runcard: {len(hidden)} column(s) hidden to fit {width}: {', '.join(hidden)} "
            "(choose with --columns, or use --format csv / json)",
            file=sys.stderr,
        )


def write_json(term: Terminal, data: Any) -> None:
    import json

    term.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def write_csv(term: Terminal, header: list[str], rows: list[list[Any]]) -> None:
    """Numbers and text as they are, booleans as true/false, null as `null`, a missing key as an
    empty cell, lists and objects as JSON."""
    import csv

    writer = csv.writer(term.stream, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[csv_cell(v) for v in row] for row in rows])


def csv_cell(value: Any) -> Any:
    if value is MISSING:
        return ""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, default=str)
