"""The web app's cache of answers' inputs: the runs of a (project, filter) read through
`runcard.Api` and kept until the store changes; reads in threads that give way to answers.

The whole read of 10,000 runs (every config and summary decoded and flattened) takes about half
a second, so nothing waits for it: an answer asked before it is in memory is read straight from
the store with only the keys it needs (`Api.runs(keys=...)`), and the whole read starts in a
thread for the answers after it."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import runcard
from runcard.web import _feed, _paged
from runcard.web._records import Record, collector_paused, columns_of, in_order

CACHE_SECONDS = 30.0
SYNC_LOAD_SECONDS = 0.2
READ_WAIT_SECONDS = 60.0
GIVE_WAY_SECONDS = 2.0  # the longest a read in a thread waits for answers at each turn
# a page asks its next questions (columns, then groups) right after its first answer: a read
# in a thread starts after them, as it cannot give way once inside Api.runs()
FOLLOW_UP_SECONDS = 0.05


class Entry:
    """Cached runs of one (project, filter): the store stamp they were read at, when, how long
    the read took, and the change-feed token taken just before it."""

    __slots__ = ("_columns", "_orders", "checked", "load_seconds", "records", "stamp", "token")

    def __init__(
        self, stamp: tuple[Any, ...], records: list[Record], load_seconds: float, token: str
    ) -> None:
        self.stamp = stamp
        self.checked = time.monotonic()
        self.records = records
        self.load_seconds = load_seconds
        self.token = token
        self._columns: dict[str, list[str]] | None = None
        self._orders: dict[str, list[Record]] = {}

    def columns(self) -> dict[str, list[str]]:
        if self._columns is None:
            self._columns = columns_of(self.records)
        return self._columns

    def ordered(self, sort: str | None) -> list[Record]:
        name = sort or "-created_at"
        if name not in self._orders:
            self._orders[name] = in_order(self.records, sort)
            if len(self._orders) > 16:
                self._orders.pop(next(iter(self._orders)))
        return self._orders[name]


class RunCache:
    """Runs of a (project, filter) read through `runcard.Api` whole and kept until the store's
    files change (or `CACHE_SECONDS` pass: a silent run turns "crashed").
    Stale runs are re-read at once when that is quick (under `SYNC_LOAD_SECONDS`); otherwise
    the answer comes from the last read, marked `stale`, while a thread re-reads them. Before
    the first read of a (project, filter) is in memory, pages, groups and points are read
    straight from the store with only the keys they need."""

    def __init__(self, dir: str | None = None) -> None:
        self.api = runcard.Api(dir=dir)
        self._root: str = self.api._root
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Entry] = {}
        self._reading: dict[tuple[str, str], threading.Thread] = {}
        self._wanted: dict[tuple[str, str], tuple[str | None, dict[str, Any] | None]] = {}
        self._answering = 0  # requests being answered now
        self._awaited: set[tuple[str, str]] = set()  # reads in threads a request waits for

    # -- reading -----------------------------------------------------------------------------
    def _stamp(self) -> Any:
        return self.api._open().change_stamp()

    def _exists(self) -> bool:
        return bool(self.api._open().exists)

    @staticmethod
    def _key(project: str | None, filters: dict[str, Any] | None) -> tuple[str, str]:
        return (project or "", json.dumps(filters, sort_keys=True))

    @collector_paused
    def _read(
        self,
        api: runcard.Api,
        project: str | None,
        filters: dict[str, Any] | None,
        in_thread: tuple[str, str] | None = None,
    ) -> Entry:
        """Every matching run, whole, newest first. `in_thread`: the key of a read in a thread,
        which lets the requests being answered go first unless one waits for it."""
        if in_thread:
            time.sleep(FOLLOW_UP_SECONDS)
            self._give_way(in_thread)
        stamp = self._stamp()  # before the read: a write during it leaves the entry stale
        start = time.perf_counter()
        token = _feed.start_token(api, project, filters)
        runs = list(api.runs(project or None, filters=filters, order="-created_at"))
        records: list[Record] = []
        for first in range(0, len(runs), 250):
            if in_thread:
                self._give_way(in_thread)
            records.extend(Record(r) for r in runs[first : first + 250])
        entry = Entry(stamp, records, 0.0, token)
        if in_thread:
            self._give_way(in_thread)
        entry.columns()  # here, in the reading thread, not in the first answer from memory
        entry.load_seconds = time.perf_counter() - start
        return entry

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the answer to a request: reads in threads wait meanwhile (two threads share
        the interpreter, so a read running beside an answer doubles the answer's time)."""
        self._answering += 1
        try:
            yield
        finally:
            self._answering -= 1

    def _give_way(self, key: tuple[str, str]) -> None:
        waited = 0.0
        while self._answering > 0 and key not in self._awaited and waited < GIVE_WAY_SECONDS:
            time.sleep(0.002)
            waited += 0.002

    def _usable(
        self, key: tuple[str, str], project: str | None, filters: dict[str, Any] | None
    ) -> tuple[Entry, bool] | None:
        """(the cached entry, whether it is stale) when it may answer; a stale one whose read
        was slow is re-read in a thread meanwhile. Call with the lock held."""
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry.stamp == self._stamp() and time.monotonic() - entry.checked < CACHE_SECONDS:
            return entry, False
        if entry.load_seconds >= SYNC_LOAD_SECONDS:
            self._read_in_thread(key, project, filters)
            return entry, True
        return None  # quick to read again: the caller does

    def snapshot(self, project: str | None, filters: dict[str, Any] | None) -> tuple[Entry, bool]:
        """(runs of `project` ("entity/project", "project" or None for all) matching `filters`,
        newest first; whether they may be out of date). Raises runcard.UsageError for a bad
        filter."""
        if not self._exists():
            return Entry((), [], 0.0, ""), False
        key = self._key(project, filters)
        with self._lock:
            found = self._usable(key, project, filters)
            reading = self._reading.get(key)
        if found is None and reading is not None:  # the same read is under way: wait for it
            self._awaited.add(key)
            try:
                reading.join(READ_WAIT_SECONDS)
            finally:
                self._awaited.discard(key)
            with self._lock:
                found = self._usable(key, project, filters)
        if found is not None:
            return found
        entry = self._read(self.api, project, filters)
        self._keep(key, entry)
        return entry, False

    def in_memory(
        self, project: str | None, filters: dict[str, Any] | None
    ) -> tuple[Entry, bool] | None:
        """Like `snapshot`, but None when nothing of `project` and `filters` has been read yet
        (the caller then answers from the store, and calls `want`)."""
        with self._lock:
            if self._exists() and self._key(project, filters) not in self._cache:
                return None
        return self.snapshot(project, filters)

    def want(self, project: str | None, filters: dict[str, Any] | None) -> None:
        """Ask for the whole read of `project` and `filters`, once the answer is sent."""
        with self._lock:
            self._wanted[self._key(project, filters)] = (project, filters)

    def start_wanted_reads(self) -> None:
        """Start the whole reads that answers from the store asked for. The app calls this once
        its answer is sent: started earlier, a read would share the interpreter with the
        answer and slow it down."""
        with self._lock:
            for key, (project, filters) in self._wanted.items():
                if key not in self._cache:
                    self._read_in_thread(key, project, filters)
            self._wanted.clear()

    def _keep(self, key: tuple[str, str], entry: Entry) -> None:
        with self._lock:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = entry

    def _read_in_thread(
        self, key: tuple[str, str], project: str | None, filters: dict[str, Any] | None
    ) -> None:
        """Start reading `key` whole in a thread, unless that is under way. Call with the lock
        held."""
        if key in self._reading:
            return
        thread = threading.Thread(
            target=self._read_and_keep,
            args=(key, project, filters),
            name="runcard-ui-read",
            daemon=True,
        )
        self._reading[key] = thread
        thread.start()

    def _read_and_keep(
        self, key: tuple[str, str], project: str | None, filters: dict[str, Any] | None
    ) -> None:
        try:  # a connection of its own: the app's serves requests meanwhile
            self._keep(key, self._read(runcard.Api(dir=self._root), project, filters, key))
        except runcard.Error:
            pass  # requests read the store themselves
        finally:
            with self._lock:
                self._reading.pop(key, None)

    def warm(self) -> threading.Thread:
        """Read every project's runs in a thread (its own connection), so that the first page
        a browser asks for is answered from memory."""

        def work() -> None:
            try:
                if not self._exists():
                    return
                api = runcard.Api(dir=self._root)
                for project in api.projects():
                    if project.run_count > _paged.HELD_RUNS:  # answered page by page instead
                        continue
                    path = f"{project.entity}/{project.name}"
                    key = self._key(path, None)
                    with self._lock:
                        if key in self._cache or key in self._reading:
                            continue
                        self._reading[key] = threading.current_thread()
                    try:
                        self._keep(key, self._read(api, path, None, key))
                    finally:
                        with self._lock:
                            self._reading.pop(key, None)
            except runcard.Error:
                return  # requests read the store themselves

        thread = threading.Thread(target=work, name="runcard-ui-warm", daemon=True)
        thread.start()
        return thread

    def wait_for_reads(self, timeout: float = READ_WAIT_SECONDS) -> None:
        """Wait until no read started in a thread is under way (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        self.start_wanted_reads()
        while True:
            with self._lock:
                threads = list(self._reading.values())
            if not threads or time.monotonic() > deadline:
                return
            threads[0].join(max(0.0, deadline - time.monotonic()))

    def forget(self) -> None:
        """Drop every cached read, as at start-up (benchmarks)."""
        self.wait_for_reads()
        with self._lock:
            self._cache.clear()
