"""Pushing runs from the local store to a tracking server.

A run always lands in the local store first (the writer never waits on the network); pushing
copies what the server lacks. With `RUNCARD_URL` set, a `Pusher` thread does it while the run
logs; `runcard sync` does it afterwards for runs logged offline or while the server was down.

A push is idempotent: the server keeps, per pushing store (its `origin`), the last revision
batch and the chunks it took, and skips what it has. So a push repeated, interrupted or racing
another one never stores a point twice, and the cursor the server answers with says where the
next push starts.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from runcard import _settings
from runcard._convert import loads
from runcard._errors import ServerError
from runcard._store import PUSHED_FIELDS, _common
from runcard._store._http import Client, chunk_to_wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._history import EncodedChunk
    from runcard._store import Store

PUSH_SECONDS = 0.5  # how often a live run is pushed
MAX_BACKOFF_SECONDS = 10.0
FINAL_PUSH_SECONDS = 30.0  # finish() retries the last push this long if the server answered before
CHUNKS_PER_PUSH = 32
REVISIONS_PER_PUSH = 500
NEW_CURSOR: dict[str, Any] = {"revisions": 0, "chunk": -1, "grown": {}}


def client_from_env() -> Client | None:
    url = os.environ.get(_settings.ENV_URL)
    if not url:
        return None
    return Client(url, os.environ.get(_settings.ENV_API_KEY) or None)


def run_fields(row: dict[str, Any]) -> dict[str, Any]:
    """What a push says of the run itself (its config travels as revisions)."""
    fields = {name: row[name] for name in ("entity", "project", "run_id", *PUSHED_FIELDS)}
    fields["tags"] = list(row["tags"])
    for document in ("summary", "descriptions", "host"):
        value = row[document]
        fields[document] = loads(value) if isinstance(value, str) else value
    return fields


def _cursor(answer: dict[str, Any] | None) -> dict[str, Any]:
    if answer is None:
        return dict(NEW_CURSOR)
    return {**answer, "grown": {int(k): v for k, v in answer["grown"].items()}}


class RunPusher:
    """Pushes one local run; keeps the server's cursor between pushes."""

    def __init__(self, store: Store, client: Client, entity: str, project: str, run_id: str):
        self.store = store
        self.client = client
        self.key = {"entity": entity, "project": project, "run_id": run_id}
        self.origin = store.origin()
        self.cursor: dict[str, Any] | None = None
        self._last_fields: dict[str, Any] | None = None
        # the newest chunk pushed and its checksum: its last row may get values (log(step=))
        # with no row added, which the server's cursor cannot tell
        self._newest: tuple[int, str] | None = None

    def push(self) -> int:
        """Push everything the server lacks; returns the number of requests that carried data.
        Raises ServerError when the server cannot be reached or refuses."""
        row = self.store.find_run(**self.key)
        if row is None:
            raise ServerError(f"run {'/'.join(self.key.values())} is not in the local store")
        if self.cursor is None:
            answer = self.client.call("/cursor", {"origin": self.origin, **self.key})
            self.cursor = _cursor(answer)
        fields = run_fields(row)
        sent = 0
        while True:
            cursor = self.cursor
            revisions = self.store.revisions_after(
                row["pk"], cursor["revisions"], REVISIONS_PER_PUSH
            )
            chunks = self.store.chunks_after(
                row["pk"], cursor["chunk"], cursor["grown"], CHUNKS_PER_PUSH
            )
            if not chunks and self._newest is not None:
                chunks = self._changed(row["pk"], *self._newest)
            if not revisions and not chunks and fields == self._last_fields:
                return sent
            body = {
                "origin": self.origin,
                "sent_at": time.time(),
                "run": fields,
                "revisions": [list(r) for r in revisions],
                "chunks": [chunk_to_wire(c) for c in chunks],
            }
            try:
                self.cursor = _cursor(self.client.call("/push", body))
            except ServerError:
                self.cursor = None  # ask again next time: the push may have landed anyway
                raise
            self._last_fields = fields
            if chunks:
                newest = max(chunks, key=lambda chunk: chunk.index or 0)
                self._newest = (newest.index or 0, _common.digest([newest])["sha256"])
            sent += 1

    def _changed(self, pk: int, number: int, checksum: str) -> list[EncodedChunk]:
        """Chunk `number` when it differs from what was pushed of it."""
        chunks = self.store.chunks_after(pk, number - 1, {}, 1)
        changed = chunks and chunks[0].index == number
        return chunks if changed and _common.digest(chunks)["sha256"] != checksum else []


def local_digest(store: Store, pk: int) -> dict[str, Any]:
    """Rows and a checksum of a run's history as this store holds it, to compare with what the
    server holds of it from this store (`Store.origin_digest`)."""
    return _common.digest(_common.all_chunks(store, pk))


class Pusher:
    """A thread that pushes a live run every PUSH_SECONDS, backing off while the server is
    unreachable. Training never waits for it; `close()` makes a last push after the run's
    final state is stored."""

    def __init__(self, root: str, client: Client, entity: str, project: str, run_id: str):
        self._root = root
        self._client = client
        self._key = (entity, project, run_id)
        self._wake = threading.Event()
        self._closing = False
        self._reached = False  # the server answered at least once
        self._failure: str | None = None
        self._deadline = 0.0
        self._thread = threading.Thread(target=self._run, name="runcard-pusher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Push what is left, retrying for FINAL_PUSH_SECONDS if the server answered before;
        once only if it never did (the run is safe locally: `runcard sync` pushes it)."""
        self._deadline = time.monotonic() + FINAL_PUSH_SECONDS
        self._closing = True
        self._wake.set()
        self._thread.join()
        if self._failure:
            _logger().warning(
                "runcard: run %s is stored locally, but not all of it reached %s (%s); "
                "`runcard sync` pushes the rest",
                "/".join(self._key),
                self._client.url,
                self._failure,
            )

    def _run(self) -> None:
        from runcard._store import open_store

        store = open_store(self._root)
        try:
            pusher = RunPusher(store, self._client, *self._key)
            backoff = 0.0
            while True:
                self._wake.wait(max(PUSH_SECONDS, backoff))
                self._wake.clear()
                closing = self._closing
                try:
                    pusher.push()
                    self._reached, self._failure, backoff = True, None, 0.0
                except ServerError as exc:
                    if self._failure is None:
                        _logger().warning("runcard: pushing to the server failed: %s", exc)
                    self._failure = str(exc)
                    backoff = min(max(backoff * 2, PUSH_SECONDS), MAX_BACKOFF_SECONDS)
                    if closing and self._reached and time.monotonic() < self._deadline:
                        time.sleep(min(backoff, 1.0))
                        self._wake.set()  # the run is over: retry without the backoff wait
                        continue
                if closing:
                    return
        finally:
            store.close()


def _logger() -> logging.Logger:
    return logging.getLogger("runcard")
