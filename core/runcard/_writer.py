"""The background writer: the only thread that writes a live run to the store.

Callers append items to deques (no lock, no disk): config revisions and summary edits to the
writer's queue, `log()` entries to the run's `History`. While items keep coming, the writer
thread wakes every `FLUSH_SECONDS`, turns logged entries into columns, and writes everything new
in one transaction. With nothing to write it sleeps until the next heartbeat, and the first item
queued wakes it (a timer wake costs a training thread's machine ~0.1 ms of CPU, so an idle run
should not poll). A store error keeps the data and is retried with backoff; it is reported once as a
warning and surfaces as a `StoreError` at `close()`, which waits on an event set by the
thread, never on a sleep. When more than MAX_QUEUED log entries wait, `log()` waits for the
thread to take them (back-pressure keeps memory flat; the thread never waits on a caller).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque

from runcard._errors import StoreError
from runcard._process import process
from runcard._store import Batch
from runcard._store._base import REMOVED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._history import Chunk
    from runcard._history_buffer import History
    from runcard._store import Store

FLUSH_SECONDS = 0.02
MAX_BACKOFF_SECONDS = 2.0
CLOSE_RETRY_SECONDS = 5.0

MAX_QUEUED = 10_000
LONGEST_WAIT_SECONDS = 86_400.0
# logged values (rows x keys) kept in memory while the store cannot be written (~5 MiB); the
# oldest rows past them are dropped
MAX_UNSTORED_VALUES = 2**17

SUMMARY, DESCRIPTIONS, HOST, FIELDS = range(4)


class Writer:
    def __init__(
        self, store: Store, run_pk: int, heartbeat_seconds: float, history: History
    ) -> None:
        self._store = store
        self._run_pk = run_pk
        self._heartbeat_seconds = heartbeat_seconds
        self._history = history
        self._queue: deque[tuple[int, Any]] = deque()
        self._revisions: deque[Any] = deque()  # config revisions, unwrapped: config writes are hot
        self._wake = _Doorbell()
        self._room = threading.Event()
        self._closing = False
        self._final: tuple[str, int | None] = ("finished", None)
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._unwritten = 0  # other than history rows: config revisions, summary edits, ...
        self._unwritten_rows = 0
        self._dropped_rows = 0  # dropped to bound memory while the store cannot be written
        self._final_written = False  # the final state went with the last write
        # log() calls make_room() when the queue is longer than wake_above[0]: MAX_QUEUED while
        # the thread polls, 0 while it sleeps, so that the first entry logged wakes it
        self.wake_above = [MAX_QUEUED]
        self._thread = threading.Thread(target=self._run, name="runcard-writer", daemon=True)
        self._thread.start()
        process.add_writer_thread(self._thread)

    def put_config(self, revisions: list[Any]) -> None:
        self._revisions.extend(revisions)
        self._wake_if_asleep()

    def put_summary(self, values: dict[str, Any]) -> None:
        self._queue.append((SUMMARY, values))
        self._wake_if_asleep()

    def put_descriptions(self, descriptions: dict[str, str]) -> None:
        self._queue.append((DESCRIPTIONS, descriptions))
        self._wake_if_asleep()

    def put_fields(self, fields: dict[str, Any]) -> None:
        """Run fields set during the run (`run.name`, `.notes`, `.tags`), as an Api edit takes
        them."""
        self._queue.append((FIELDS, fields))
        self._wake_if_asleep()

    def put_host(self, facts: Any) -> None:
        """`facts`: a dict, or a callable run on the writer thread (for slow facts)."""
        self._queue.append((HOST, facts))
        self._wake_if_asleep()

    def make_room(self) -> None:
        """Called by `log()` when the queue is longer than `wake_above[0]`: wakes the sleeping
        thread, or (back-pressure) waits until the thread has taken the queued entries."""
        if self._wake_if_asleep():
            return
        queue = self._history.queue
        while len(queue) > MAX_QUEUED // 2 and self._thread.is_alive():
            self._room.clear()
            self._wake.ring()
            self._room.wait(0.1)

    def close(self, state: str, exit_code: int | None) -> None:
        """Write everything queued, then the run's final state; raise StoreError if something
        could not be stored."""
        self._final = (state, exit_code)
        self._closing = True
        self._wake.ring()
        self._done.wait()
        loss = self._loss()
        if loss:
            raise StoreError(f"{loss} could not be stored: {self._error}") from self._error

    def _loss(self, writing_the_rest: bool = False) -> str:
        """What could not be stored, in words (`writing_the_rest`: what was dropped, the rest
        being in the write under way); empty when nothing was lost."""
        if self._error is None:
            return ""
        rows = self._dropped_rows + (0 if writing_the_rest else self._unwritten_rows)
        other = 0 if writing_the_rest else self._unwritten
        parts = [f"{rows} history row{'s' * (rows != 1)}"] if rows else []
        if other:
            parts.append(
                f"{other} other write{'s' * (other != 1)} (config, summary, metadata, run state)"
            )
        return " and ".join(parts)

    def _wake_if_asleep(self) -> bool:
        if self.wake_above[0]:
            return False
        self.wake_above[0] = MAX_QUEUED  # one wake is enough
        self._wake.ring()
        return True

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._write_until_closed()
            if not self._final_written:  # the last write failed: a last, small try on its own
                self._write_final()
        finally:
            try:
                self._store.close()  # kept open for the process's next run (see _store._sqlite)
            finally:
                self._done.set()
                self._room.set()

    def _end(self, batch: Batch, loss: str) -> tuple[str, int | None]:
        """Put the run's end state in `batch`: `failed` when something was lost, with what in
        the run's metadata (`lost_writes`), so that the run does not read as whole."""
        state, exit_code = self._final
        if loss:
            state = "failed"
            batch.host["lost_writes"] = f"{loss} could not be stored: {self._error}"
        batch.final = (state, exit_code)
        return batch.final

    def _write_final(self) -> None:
        """The run's end state, alone, after the last write failed."""
        batch = Batch()
        final = self._end(batch, self._loss())
        try:
            self._store.write_batch(self._run_pk, batch)
            return
        except Exception:  # no room for the metadata: the state alone
            pass
        try:
            self._store.finish_run(self._run_pk, *final)
        except Exception as exc:
            self._unwritten += 1
            self._error = self._error or exc

    def _write_until_closed(self) -> None:
        history = self._history
        pending: list[tuple[int, Any]] = []
        revisions: list[Any] = []
        next_beat = time.monotonic() + self._heartbeat_seconds
        backoff = 0.0
        give_up_at: float | None = None
        last_write = -FLUSH_SECONDS
        while True:
            # at most one write per FLUSH_SECONDS: what is logged meanwhile shares it
            if backoff:
                due = time.monotonic() + backoff
            elif pending or revisions or self._has_work():
                due = last_write + FLUSH_SECONDS
            elif self._sleep(next_beat - time.monotonic()):
                self._wake.clear()
                due = time.monotonic() + FLUSH_SECONDS
            else:
                due = 0.0  # the heartbeat
            delay = due - time.monotonic()
            if delay > 0 and not self._closing:
                self._wake.wait(delay)  # cut short by close(), or by make_room() when full
            self._wake.clear()
            closing = self._closing
            history.process()
            self._room.set()
            if backoff:  # the last write failed
                self._drop_oldest_rows()
            queue = self._queue
            for _ in range(len(queue)):
                pending.append(queue.popleft())
            for _ in range(len(self._revisions)):
                revisions.append(self._revisions.popleft())
            encoded, chunks, summary = history.take()
            now = last_write = time.monotonic()
            beat = now >= next_beat
            if pending or revisions or encoded or summary or beat or closing:
                batch = _batch(pending)
                batch.revisions = revisions
                batch.history = encoded
                batch.summary = _user_wins(summary, batch.summary)
                if closing:  # the run's end state goes in the same transaction
                    self._end(batch, self._loss(writing_the_rest=True))
                fields = _fields(pending)
                try:
                    if fields:  # first: retried with the batch when the batch fails
                        self._store.edit_run(self._run_pk, fields, [], [])
                    self._store.write_batch(self._run_pk, batch, heartbeat=beat)
                except Exception as exc:  # the store is unusable for now: keep what fits
                    history.restore_summary(summary)
                    self._report(exc, len(revisions), pending, chunks)
                    backoff = min(max(backoff * 2, FLUSH_SECONDS), MAX_BACKOFF_SECONDS)
                    if closing:
                        give_up_at = give_up_at or now + CLOSE_RETRY_SECONDS
                        if now >= give_up_at:
                            return
                    continue
                history.stored(chunks, encoded)
                self._final_written = closing
                self._unwritten = self._unwritten_rows = 0
                backoff = 0.0
                pending, revisions = [], []
                if beat:
                    next_beat = now + self._heartbeat_seconds
            if closing and not (self._queue or self._revisions or history.queue):
                return

    def _has_work(self) -> bool:
        return bool(self._closing or self._queue or self._revisions or self._history.unstored())

    def _sleep(self, seconds: float) -> bool:
        """Until a caller queues something or closes the run (True), or `seconds` pass."""
        self._wake.clear()
        self.wake_above[0] = 0
        try:
            # what was queued before wake_above[0] became 0 rang no one
            return self._has_work() or self._wake.wait(max(seconds, 0.0))
        finally:
            self.wake_above[0] = MAX_QUEUED

    def _report(
        self,
        exc: BaseException,
        revisions: int,
        pending: list[tuple[int, Any]],
        chunks: list[Chunk],
    ) -> None:
        self._unwritten_rows = sum(chunk.unstored_rows() for chunk in chunks)
        self._unwritten = revisions + len(pending)
        if self._error is None:
            warnings.warn(
                f"runcard could not write to its store ({exc}); retrying in the background. "
                "Training continues; finish() reports anything that could not be stored.",
                RuntimeWarning,
                stacklevel=1,
            )
        self._error = exc

    def _drop_oldest_rows(self) -> None:
        """Keep memory bounded while the store cannot be written: past MAX_UNSTORED_VALUES
        waiting values, drop the oldest rows (said once, counted in what finish() reports)."""
        dropped = self._history.drop_oldest(MAX_UNSTORED_VALUES)
        if not dropped:
            return
        if not self._dropped_rows:
            warnings.warn(
                f"runcard's store still cannot be written ({self._error}): keeping the newest "
                f"history rows, up to {MAX_UNSTORED_VALUES:,} values, in memory and dropping "
                "older ones; finish() reports how many were lost.",
                RuntimeWarning,
                stacklevel=1,
            )
        self._dropped_rows += dropped


class _Doorbell:
    """What wakes the writer thread: `ring()` lets the next `wait()` through at once. A bare
    lock, not an Event: a ring is the only cost `log()` pays for waking the thread, and an
    Event's wait and set run several lines of Python under a second lock."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def ring(self) -> None:
        try:
            self._lock.release()
        except RuntimeError:  # rung already
            pass

    def wait(self, timeout: float) -> bool:
        """True when rung (the ring is used up), False when `timeout` seconds passed (at most a
        day: a heartbeat interval of days, or inf, is longer than a lock can wait)."""
        return self._lock.acquire(timeout=min(timeout, LONGEST_WAIT_SECONDS))

    def clear(self) -> None:
        self._lock.acquire(blocking=False)


def _fields(pending: list[tuple[int, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for kind, item in pending:
        if kind == FIELDS:
            fields.update(item)
    return fields


def _batch(pending: list[tuple[int, Any]]) -> Batch:
    batch = Batch()
    for kind, item in pending:
        if kind == SUMMARY:
            batch.summary.update(item)
        elif kind == DESCRIPTIONS:
            batch.descriptions.update(item)
        elif kind == HOST:  # a callable, so slow facts (git status) are read on this thread
            batch.host.update(item() if callable(item) else item)
    return batch


def _user_wins(logged: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The summary to write: what the user set wins over what log() set, except a delete,
    which a key logged after it (so still among `logged`, see `History.forget`) undoes."""
    if REMOVED in user.values():
        user = {k: v for k, v in user.items() if v is not REMOVED or k not in logged}
    return {**logged, **user}
