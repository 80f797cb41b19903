"""From `log()` calls to the open chunk: the history of a live run until the store has it.

The caller appends raw entries `(step, time, data)` to a deque and returns. The writer thread
(and a summary read, which must see every value logged before it) calls `process()`, which turns
entries into rows: flattened, converted, appended column by column to the open `Chunk`, and
folded into the summary. Entries of `log(step=)` and `commit=False` may add values to a row
already appended (see `_open_row`). How chunks are stored: `runcard._history`.
"""

from __future__ import annotations

import threading
from collections import deque

from runcard._define_metric import Definitions
from runcard._history import CHUNK_ROWS, Chunk
from runcard._metrics import flatten_rows
from runcard._open_row import merge_entries, merge_into_chunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._history import EncodedChunk


class History:
    """The history of one live run between `log()` and the store."""

    def __init__(
        self,
        summary_values: dict[str, Any],
        pinned: set[str],
        keep_rows: bool = True,
    ) -> None:
        self._keep_rows = keep_rows  # False for a disabled run: only the summary is kept
        # (step, time, data): a row; (step, time, data, continues): see _open_row
        self.queue: deque[tuple[Any, ...]] = deque()
        self._lock = threading.Lock()
        self._summary = summary_values
        self._pinned = pinned
        self.definitions = Definitions()  # define_metric: guarded by _lock
        self._summary_changes: dict[str, Any] = {}
        self._warned: set[str] = set()
        self._open = Chunk()
        self._full: list[Chunk] = []
        self._open_row: tuple[Chunk, int] | None = None  # the row log(step=) may add values to

    def define(self, name: str, definition: Any, overwrite: bool) -> None:
        with self._lock:
            self.definitions.define(name, definition, overwrite)

    def process(self) -> None:
        """Turn every queued entry into a row of the open chunk and fold it into the summary."""
        with self._lock:
            queue = self.queue
            popleft = queue.popleft
            entries = [popleft() for _ in range(len(queue))]
            warned = self._warned
            rows = flatten_rows([entry[2] for entry in entries], warned)
            self._fold(entries, rows)
            if not self._keep_rows:
                return
            if entries and max(map(len, entries)) == 4:  # log(step=) or commit=False
                self._merge(entries, rows)
            else:
                self._add_rows(entries, rows, None)

    def _merge(self, entries: list[tuple[Any, ...]], rows: list[dict[str, Any]]) -> None:
        entries, rows, earlier, opened = merge_entries(entries, rows, self._open_row is not None)
        if earlier is not None and self._open_row is not None:
            chunk, number = self._open_row
            merge_into_chunk(chunk, number, earlier)
            if chunk is not self._open and chunk not in self._full:  # written again
                self._full.append(chunk)
        self._add_rows(entries, rows, opened)

    def _add_rows(self, entries: list[Any], rows: list[dict[str, Any]], opened: int | None) -> None:
        """Append rows to the open chunk (and new ones); `opened`: which row is left open."""
        start = 0
        while start < len(rows):
            room = CHUNK_ROWS - self._open.rows
            if room == 0:
                self._full.append(self._open)
                self._open = Chunk()
                continue
            end = start + room
            if opened is not None and start <= opened < end:
                self._open_row = (self._open, self._open.rows + opened - start)
            self._open.extend(entries[start:end], rows[start:end])
            start = end

    def _fold(self, entries: list[tuple[Any, ...]], rows: list[dict[str, Any]]) -> None:
        definitions = self.definitions
        if not self._pinned and not definitions:
            changes = self._summary_changes
            for row in rows:
                changes.update(row)
            self._summary.update(changes)
            return
        summary, changes = self._summary, self._summary_changes
        for entry, row in zip(entries, rows, strict=True):
            for key, value in row.items():
                if key in self._pinned:
                    continue
                if definitions and definitions.fold(key, entry[0], value, changes):
                    if key in changes:
                        summary[key] = changes[key]
                    continue
                summary[key] = value
                changes[key] = value

    def forget(self, key: str) -> None:
        """`del run.summary[key]`: what log() set for it before is not written."""
        with self._lock:
            self._summary_changes.pop(key, None)

    def unstored(self) -> bool:
        """Whether anything logged has not been written yet."""
        with self._lock:
            return bool(
                self.queue
                or self._full
                or self._summary_changes
                or self._open.version > self._open.stored_version
            )

    def take(self) -> tuple[list[EncodedChunk], list[Chunk], dict[str, Any]]:
        """What the store should get now: encoded chunks with unstored rows, and the summary
        changes. Call `stored()` with the chunks once they are written."""
        with self._lock:
            chunks = [*self._full]
            if self._open.version > self._open.stored_version:
                chunks.append(self._open)
            summary, self._summary_changes = self._summary_changes, {}
            encoded = [chunk.encode() for chunk in chunks]
            for chunk in chunks:
                chunk.taken_version = chunk.version
        return encoded, chunks, summary

    def stored(self, chunks: list[Chunk], encoded: list[EncodedChunk]) -> None:
        with self._lock:
            for chunk, written in zip(chunks, encoded, strict=True):
                chunk.index = written.index
                chunk.stored_rows = written.rows
                chunk.stored_version = chunk.taken_version
            self._full = [c for c in self._full if c.stored_version < c.version]

    def drop_oldest(self, keep_values: int) -> int:
        """Drop the oldest full chunks not yet stored while they and the open chunk hold more
        than `keep_values` values (rows x keys) waiting to be stored: the store cannot be
        written, memory stays bounded. Returns the rows dropped."""
        with self._lock:
            dropped = 0
            waiting = sum(_waiting(c) for c in self._full) + _waiting(self._open)
            while self._full and waiting > keep_values:
                chunk = self._full.pop(0)
                waiting -= _waiting(chunk)
                dropped += chunk.unstored_rows()
            return dropped

    def restore_summary(self, summary: dict[str, Any]) -> None:
        """A failed write: put the summary changes back so the next write carries them."""
        with self._lock:
            self._summary_changes = {**summary, **self._summary_changes}


def _waiting(chunk: Chunk) -> int:
    """About how many values of the chunk wait to be stored (as if every row held every key)."""
    return chunk.unstored_rows() * len(chunk.columns)
