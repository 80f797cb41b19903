"""A run's history as stored: chunks of rows, column by column, and their encoding.

A chunk holds up to CHUNK_ROWS rows; the open one is rewritten on each flush until it is full,
so a crash loses at most one flush interval. The store numbers a chunk when it first writes it,
so processes writing to one run never overwrite each other's chunks. How logged rows reach the
open chunk is `runcard._history_buffer`.

A stored chunk is one row of `history_chunks` (its steps and times) and one row per key of
`history_columns` (the key's values, and which rows hold it when not all do), so reading one key
of a long run reads nothing of the others.
"""

from __future__ import annotations

import json
import sys
import zlib
from array import array

from runcard._metrics import storable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

CHUNK_ROWS = 1024
_LITTLE = sys.byteorder == "little"

# What a stored column holds: float64, int64, bool bytes, or JSON (strings, None, mixed types).
F8, I8, B1, JSON = "f8", "i8", "b1", "json"


class Chunk:
    """Up to CHUNK_ROWS rows, kept as columns (steps, times, per key its values and, once some
    rows lack a key, which rows hold each key) as they are appended. The open chunk is encoded
    again at every flush, so that work must not grow with the rows it already holds: numbers
    are packed, and steps and times compressed, as they arrive."""

    __slots__ = (
        "columns",
        "index",
        "max_step",
        "min_step",
        "positions",
        "rows",
        "steps",
        "stored_rows",
        "stored_version",
        "taken_version",
        "times",
        "version",
    )

    def __init__(self) -> None:
        self.index: int | None = None  # given by the store when first written
        self.steps = _Packer("q")
        self.times = _Packer("d")
        self.min_step = self.max_step = 0
        self.rows = 0
        self.columns: dict[str, _Column] = {}  # every key of the chunk, first seen first
        # None while every row holds the same keys in the same order: no positions to store
        self.positions: dict[str, _Packer] | None = None
        self.stored_rows = 0
        # a row may get values after it was appended (see _open_row): what changed is stored
        self.version = self.stored_version = self.taken_version = 0

    def extend(self, entries: list[tuple[int, float, Any]], rows: list[dict[str, Any]]) -> None:
        """Append rows with their (step, time, _) entries; the chunk has room for them."""
        steps = [entry[0] for entry in entries]
        low, high = min(steps), max(steps)
        if self.rows:
            low, high = min(low, self.min_step), max(high, self.max_step)
        self.min_step, self.max_step = low, high
        self.version += 1
        self.steps.extend(steps)
        self.times.extend([entry[1] for entry in entries])
        start, columns = self.rows, self.columns
        self.rows += len(rows)
        if self.positions is None:
            keys = tuple(columns) if start else tuple(rows[0])
            if all(tuple(row) == keys for row in rows):
                for key in keys:
                    if key not in columns:
                        columns[key] = _Column()
                    columns[key].extend([row[key] for row in rows])
                return
            self.positions = {key: _Packer("I", range(start)) for key in columns}
        positions = self.positions
        fresh: dict[str, tuple[list[Any], list[int]]] = {}
        for number, row in enumerate(rows, start):
            for key, value in row.items():
                if key not in columns:
                    columns[key], positions[key] = _Column(), _Packer("I")
                values, numbers = fresh.setdefault(key, ([], []))
                values.append(value)
                numbers.append(number)
        for key, (values, numbers) in fresh.items():
            columns[key].extend(values)
            positions[key].extend(numbers)

    def unstored_rows(self) -> int:
        """Rows not stored yet; 1 when only a row already stored got values since."""
        return max(self.rows - self.stored_rows, int(self.version > self.stored_version))

    def encode(self) -> EncodedChunk:
        """The stored form of the rows appended so far."""
        positions, full, rows = self.positions, self.rows == CHUNK_ROWS, self.rows
        columns = [
            column.encode(
                key, _positions(None if positions is None else positions[key], rows, full)
            )
            for key, column in self.columns.items()
        ]
        return EncodedChunk(
            self.index,
            rows,
            self.min_step,
            self.max_step,
            self.steps.packed(full),
            self.times.packed(full),
            columns,
        )


class _Packer:
    """Steps, times or a key's positions: packed little-endian and zlib'd. A chunk written whole
    is compressed in one go. An open chunk's stream grows with each flush and is flushed, not
    ended (`_unpack` reads such a stream as it reads an ended one): a few bytes a flush, where
    compressing the whole chunk again would cost its size. Its compressor keeps a small window
    (4 KiB): the default one holds 256 KiB while its chunk lives."""

    __slots__ = ("_compressor", "_done", "_out", "values")

    def __init__(self, typecode: str, values: Iterable[Any] = ()) -> None:
        self.values = array(typecode, values)
        self._compressor: Any = None
        self._out = bytearray()
        self._done = 0  # values already in _out

    def extend(self, values: list[Any]) -> None:
        self.values.extend(values)

    def put(self, index: int, value: int) -> None:
        """Insert `value` at `index` (a row that got a key after it was appended)."""
        self.values.insert(index, value)
        if index < self._done:  # the stream holds values after it: compress them all again
            self._compressor, self._out, self._done = None, bytearray(), 0

    def __len__(self) -> int:
        return len(self.values)

    def packed(self, full: bool) -> bytes:
        """The stream so far; `full`: no value will be added, the stream may end."""
        new = self.values[self._done :]
        if not new:
            return bytes(self._out)
        if self._compressor is None and self._done:  # the stream ended, yet a value came
            self._out, self._done, new = bytearray(), 0, self.values[:]
        if not _LITTLE:
            new.byteswap()
        if self._compressor is None and full:
            self._out = bytearray(zlib.compress(new.tobytes(), 1))
        else:
            if self._compressor is None:
                self._compressor = zlib.compressobj(1, zlib.DEFLATED, 12, 2)
            self._out += self._compressor.compress(new.tobytes())
            self._out += self._compressor.flush(zlib.Z_FINISH if full else zlib.Z_SYNC_FLUSH)
        self._done = len(self.values)
        if full:
            self._compressor = None
        return bytes(self._out)


class _Column:
    """One key's values in a chunk, and while they are all floats (or all 64-bit ints) the
    packed array of them, grown as they arrive."""

    __slots__ = ("packed", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.packed: array[Any] | None = None

    def extend(self, values: list[Any]) -> None:
        fresh = not self.values
        self.values.extend(values)
        if fresh:
            kind = type(values[0])
            self.packed = array("d") if kind is float else array("q") if kind is int else None
        if self.packed is None:
            return
        kind = float if self.packed.typecode == "d" else int
        if set(map(type, values)) != {kind}:
            self.packed = None
            return
        try:
            self.packed.extend(values)
        except OverflowError:  # an int beyond 64 bits: stored as JSON
            self.packed = None

    def put(self, index: int, value: Any, insert: bool) -> None:
        """Insert `value` at `index`, or replace the value there."""
        if insert:
            self.values.insert(index, value)
        else:
            self.values[index] = value
        packed = self.packed
        if packed is None:
            return
        if type(value) is not (float if packed.typecode == "d" else int):
            self.packed = None
            return
        try:
            if insert:
                packed.insert(index, value)
            else:
                packed[index] = value
        except OverflowError:
            self.packed = None

    def encode(self, key: str, positions: bytes | None) -> tuple[str, str, bytes | None, bytes]:
        if self.packed is None:
            return _encode_column(key, positions, self.values)
        kind = F8 if self.packed.typecode == "d" else I8
        packed = self.packed
        if not _LITTLE:
            packed = array(packed.typecode, packed)
            packed.byteswap()
        return key, kind, positions, packed.tobytes()


class EncodedChunk:
    __slots__ = ("columns", "index", "max_step", "min_step", "rows", "steps", "times")

    def __init__(
        self,
        index: int | None,
        rows: int,
        min_step: int,
        max_step: int,
        steps: bytes,
        times: bytes,
        columns: list[tuple[str, str, bytes | None, bytes]],
    ) -> None:
        self.index = index
        self.rows = rows
        self.min_step = min_step
        self.max_step = max_step
        self.steps = steps
        self.times = times
        self.columns = columns


def _unpack(typecode: str, blob: bytes) -> list[Any]:
    values = array(typecode)
    values.frombytes(zlib.decompressobj().decompress(blob))  # a stream flushed, or ended
    if not _LITTLE:
        values.byteswap()
    return values.tolist()


def _encode_column(
    key: str, positions: bytes | None, values: list[Any]
) -> tuple[str, str, bytes | None, bytes]:
    kinds = set(map(type, values))
    packed: array[Any] | None = None
    if kinds == {float}:
        kind, packed = F8, array("d", values)
    elif kinds == {int} and min(values) >= -(2**63) and max(values) < 2**63:
        kind, packed = I8, array("q", values)
    elif kinds == {bool}:
        kind, data = B1, bytes(values)
    else:
        kind, data = JSON, _json_column(key, values)
    if packed is not None:
        if not _LITTLE:
            packed.byteswap()
        data = packed.tobytes()
    return key, kind, positions, data


def _json_column(key: str, values: list[Any]) -> bytes:
    try:
        return json.dumps(values, separators=(",", ":")).encode()
    except ValueError:  # an int too long for a JSON number
        storable_values = [storable(key, v, "log()") for v in values]
        return json.dumps(storable_values, separators=(",", ":")).encode()


def _positions(positions: _Packer | None, rows: int, full: bool) -> bytes | None:
    """The rows holding a key, packed and zlib'd; None when every row does."""
    if positions is None or len(positions) == rows:
        return None
    return positions.packed(full)


def decode_column(kind: str, data: bytes) -> list[Any]:
    if kind == JSON:
        return list(json.loads(data))
    if kind == B1:
        return [bool(b) for b in data]
    values = array("d" if kind == F8 else "q")
    values.frombytes(data)
    if not _LITTLE:
        values.byteswap()
    return values.tolist()


def decode_positions(blob: bytes | None, rows: int) -> list[int] | range:
    if blob is None:
        return range(rows)
    return _unpack("I", blob)


def decode_steps(blob: bytes) -> list[int]:
    return _unpack("q", blob)


def decode_times(blob: bytes) -> list[float]:
    return _unpack("d", blob)
