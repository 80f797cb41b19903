"""The background writer: the only thread that writes a live run to the store.

Callers append items to a deque (no lock, no disk); the writer thread wakes every
`FLUSH_SECONDS`, takes everything queued, and writes it in one transaction. A store error keeps
the batch queued and is retried with backoff; it is reported once as a warning and surfaces as a
`StoreError` at `close()`. `flush()` waits on an event set by the thread, never on a sleep.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque

from runcard._errors import StoreError
from runcard._store import Batch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._store import Store

FLUSH_SECONDS = 0.02
MAX_BACKOFF_SECONDS = 2.0
CLOSE_RETRY_SECONDS = 10.0

CONFIG, HISTORY, SUMMARY, DESCRIPTIONS, HOST, MARK = range(6)


class Writer:
    def __init__(
        self, store: Store, run_pk: int, heartbeat_seconds: float, pinned: set[str]
    ) -> None:
        self._store = store
        self._pinned = pinned  # summary keys the user set: logged values don't move them
        self._run_pk = run_pk
        self._heartbeat_seconds = heartbeat_seconds
        self._queue: deque[tuple[int, Any]] = deque()
        self._wake = threading.Event()
        self._closing = False
        self._final: tuple[str, int | None] = ("finished", None)
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._unwritten = 0
        self._thread = threading.Thread(target=self._run, name="runcard-writer", daemon=True)
        self._thread.start()

    def put_config(self, revisions: list[Any]) -> None:
        self._queue.append((CONFIG, revisions))

    def put_history(self, row: tuple[int, float, dict[str, Any]]) -> None:
        self._queue.append((HISTORY, row))

    def put_summary(self, values: dict[str, Any]) -> None:
        self._queue.append((SUMMARY, values))

    def put_descriptions(self, descriptions: dict[str, str]) -> None:
        self._queue.append((DESCRIPTIONS, descriptions))

    def put_host(self, facts: Any) -> None:
        """`facts`: a dict, or a callable run on the writer thread (for slow facts)."""
        self._queue.append((HOST, facts))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything put so far is written; False on timeout or store error."""
        done = threading.Event()
        self._queue.append((MARK, done))
        self._wake.set()
        return done.wait(timeout) and self._unwritten == 0

    def close(self, state: str, exit_code: int | None) -> None:
        """Write everything queued, then the run's final state; raise StoreError if something
        could not be stored. The thread closes the store after this returns: closing the last
        connection checkpoints the WAL, which no caller needs to wait for."""
        self._final = (state, exit_code)
        self._closing = True
        self._wake.set()
        self._done.wait()
        if self._error is not None and self._unwritten:
            raise StoreError(
                f"{self._unwritten} queued writes could not be stored: {self._error}"
            ) from self._error

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._write_until_closed()
            try:
                self._store.finish_run(self._run_pk, *self._final)
            except Exception as exc:
                self._unwritten += 1
                self._error = self._error or exc
        finally:
            self._done.set()
            self._store.close()

    def _write_until_closed(self) -> None:
        pending: list[tuple[int, Any]] = []
        next_beat = time.monotonic() + self._heartbeat_seconds
        backoff = FLUSH_SECONDS
        give_up_at: float | None = None
        while True:
            self._wake.wait(FLUSH_SECONDS if not pending else backoff)
            self._wake.clear()
            closing = self._closing
            queue = self._queue
            for _ in range(len(queue)):
                pending.append(queue.popleft())
            marks = [item for kind, item in pending if kind == MARK]
            now = time.monotonic()
            beat = now >= next_beat
            if pending or beat:
                try:
                    self._store.write_batch(
                        self._run_pk, _batch(pending, self._pinned), heartbeat=beat
                    )
                except Exception as exc:  # the store is unusable for now: keep the batch
                    self._report(exc, pending)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    if closing:
                        give_up_at = give_up_at or now + CLOSE_RETRY_SECONDS
                        if now >= give_up_at:
                            break
                    for mark in marks:
                        mark.set()  # flush() returns False: _unwritten > 0
                    pending = [(k, i) for k, i in pending if k != MARK]
                    continue
                self._unwritten = 0
                backoff = FLUSH_SECONDS
                pending = []
                for mark in marks:
                    mark.set()
                if beat:
                    next_beat = now + self._heartbeat_seconds
            if closing and not self._queue:
                break

    def _report(self, exc: BaseException, pending: list[tuple[int, Any]]) -> None:
        self._unwritten = sum(1 for kind, _ in pending if kind != MARK)
        if self._error is None:
            warnings.warn(
                f"runcard could not write to its store ({exc}); retrying in the background. "
                "Training continues; finish() reports anything that could not be stored.",
                RuntimeWarning,
                stacklevel=1,
            )
        self._error = exc


def _batch(pending: list[tuple[int, Any]], pinned: set[str]) -> Batch:
    batch = Batch()
    for kind, item in pending:
        if kind == CONFIG:
            batch.revisions.extend(item)
        elif kind == HISTORY:
            batch.history.append(item)
            row = item[2]
            batch.summary.update(
                row if not pinned else {k: v for k, v in row.items() if k not in pinned}
            )
        elif kind == SUMMARY:
            batch.summary.update(item)
        elif kind == DESCRIPTIONS:
            batch.descriptions.update(item)
        elif kind == HOST:  # a callable, so slow facts (git status) are read on this thread
            batch.host.update(item() if callable(item) else item)
    return batch
