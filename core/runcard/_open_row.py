"""The open row: a row that `log(step=)` or `log(commit=False)` may still add values to.

The caller queues each such call as its own entry `(step, time, data, continues)`, where
`continues` says the values belong to the row opened by an earlier entry. The writer side merges
them: into the opening entry's row while both are in one batch, and otherwise into the row
already appended to a chunk, which the next flush writes again. So the open row is stored like
any other, within a flush interval, and a SIGKILL keeps the values it already holds.
"""

from __future__ import annotations

from bisect import bisect_left

from runcard._history import _Column, _Packer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._history import Chunk


def merge_entries(
    entries: list[tuple[Any, ...]], rows: list[dict[str, Any]], row_open: bool
) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]], dict[str, Any] | None, int | None]:
    """The new rows of a batch of entries (`rows`: theirs, flattened), each continuing entry
    merged into the row it continues. Returns the new rows' entries and rows, the values that
    continue the row opened before this batch (`row_open`: there is one), and which new row
    is left open (None: none is)."""
    flags = [entry[3:] for entry in entries]  # (), (False,) opens a row, (True,) continues it
    if (True,) not in flags:  # each call a step of its own: the usual log(d, step=i)
        if (False,) not in flags:
            return entries, rows, None, None
        return entries, rows, None, len(flags) - 1 - flags[::-1].index((False,))
    new_entries: list[tuple[Any, ...]] = []
    new_rows: list[dict[str, Any]] = []
    earlier: dict[str, Any] | None = None
    opened: int | None = None
    for entry, row in zip(entries, rows, strict=True):
        if len(entry) == 4 and entry[3] and (opened is not None or row_open):
            if opened is not None:
                new_rows[opened].update(row)  # the caller's dict was copied by log()
            elif earlier is None:
                earlier = row
            else:
                earlier = {**earlier, **row}
            continue
        if len(entry) == 4:
            opened = len(new_rows)
        new_entries.append(entry)
        new_rows.append(row)
    return new_entries, new_rows, earlier, opened


def merge_into_chunk(chunk: Chunk, number: int, row: dict[str, Any]) -> None:
    """Put `row`'s values into row `number` of `chunk` (a value it holds is replaced)."""
    columns = chunk.columns
    if chunk.positions is None and (chunk.rows == 1 or set(row) <= set(columns)):
        for key, value in row.items():  # every row holds every key: row `number` is at `number`
            if key in columns:
                columns[key].put(number, value, insert=False)
            else:  # the chunk's only row gets a key
                columns[key] = _Column()
                columns[key].extend([value])
        chunk.version += 1
        return
    if chunk.positions is None:  # from now on some rows lack a key
        chunk.positions = {key: _Packer("I", range(chunk.rows)) for key in columns}
    positions = chunk.positions
    for key, value in row.items():
        if key not in columns:
            columns[key], positions[key] = _Column(), _Packer("I")
            columns[key].extend([value])
            positions[key].put(0, number)
            continue
        numbers = positions[key].values
        at = bisect_left(numbers, number)
        holds = at < len(numbers) and numbers[at] == number
        columns[key].put(at, value, insert=not holds)
        if not holds:
            positions[key].put(at, number)
    chunk.version += 1
