"""What changed in the store since the page was read: the feed the runs table polls.

The store keeps no change log; it records per run `created_at`, `heartbeat_at` and
`finished_at`, and every write to a run (creation, a batch of history, summary or config, a
heartbeat, the finish) moves `heartbeat_at` to the write's time. So "changed since T" is read as
runs whose heartbeat is later than T, and three gaps are closed here:

- a write stamped just before T may become visible just after it (its transaction commits
  later), so the window reaches `OVERLAP_SECONDS` back, and the token remembers a fingerprint
  (path, heartbeat, state) of every run it has already answered for, so overlap brings nothing
  back twice;
- a live run that stops writing turns "crashed" with no write at all, so the token also names
  the runs that were running, and those are looked at again whatever their heartbeat;
- a run created or finished by a writer that waited long for the lock carries a stamp older
  than the window: running runs are always looked at, and so are the ones that were running.

Three changes move no timestamp in the window: an edit through `Api.run(...).update()`, a run
pushed by `runcard sync` stamped with the older time of the machine it ran on, and a deleted
run. The store numbers runs and revisions in order, and every edit or push writes a revision,
so the token also keeps marks (`Store.changes_after`): the highest run and revision numbers and
the number of runs. Runs numbered above the marks are new, runs with a revision above them
changed, and fewer runs than the marks and the new ones add up to were deleted (anywhere in the
store: the page reads itself again). A run deleted as the newest, then another created, can
take its number on SQLite: that one is seen by its timestamp alone.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import time
from typing import Any

import runcard

OVERLAP_SECONDS = 10.0
# the token travels in a URL (uvicorn takes a request line of up to 16 KiB): it remembers up
# to MAX_REMEMBERED fingerprints (beyond that, a row may come back twice) and the ids of up to
# MAX_LIVE running runs, the newest (an older one killed shows "crashed" at the next whole read)
MAX_REMEMBERED = 400
MAX_LIVE = 300
FINGERPRINT_CHARS = 12
IDS_PER_QUERY = 500  # the store compiles $in to a chain of ORs; SQLite nests at most 1000


Marks = tuple[int, int, int]


def store_changes(api: runcard.Api, marks: Marks | None) -> tuple[Marks, list[str], list[str]]:
    """(the marks for now, paths of the runs new since `marks`, paths of the runs edited or
    pushed since); take them before reading the runs they go with."""
    top, new, revised = api._open().changes_after(marks[:2] if marks else None)
    return (int(top[0]), int(top[1]), int(top[2])), new, revised


def watched_runs(
    api: runcard.Api,
    project: str | None,
    filters: dict[str, Any] | None,
    since: float,
    live: list[str],
    touched: list[str] | None = None,
) -> list[runcard.ApiRun]:
    """Runs matching `filters` that changed after `since` (less the overlap) or are running,
    newest first, then those of `live` (ids) that no longer run and those of `touched` (paths).
    Their config and summary are decoded only when read, so unchanged ones cost little."""
    # created_at and finished_at are never later than heartbeat_at (creation and finish set it)
    recent = {"$or": [{"heartbeat_at": {"$gt": since - OVERLAP_SECONDS}}, {"state": "running"}]}
    runs = list(api.runs(project or None, filters=_both(filters, recent), order="-created_at"))
    found = {r.path for r in runs}
    ended = runs_with_ids(api, project, live, _both(filters, {"state": {"$ne": "running"}}))
    runs += [r for r in ended if r.path not in found]
    found.update(r.path for r in ended)
    wanted = set(touched or ()) - found
    ids = list(dict.fromkeys(path.rpartition("/")[2] for path in wanted))
    return runs + [r for r in runs_with_ids(api, project, ids, filters) if r.path in wanted]


def runs_with_ids(
    api: runcard.Api, project: str | None, ids: list[str], filters: dict[str, Any] | None = None
) -> list[runcard.ApiRun]:
    """The runs of `project` whose id is in `ids`, matching `filters`, whole."""
    runs: list[runcard.ApiRun] = []
    for first in range(0, len(ids), IDS_PER_QUERY):
        wanted = {"id": {"$in": ids[first : first + IDS_PER_QUERY]}}
        runs.extend(api.runs(project or None, filters=_both(filters, wanted)))
    return runs


def _both(first: dict[str, Any] | None, second: dict[str, Any]) -> dict[str, Any]:
    return {"$and": [first, second]} if first else second


def fingerprint(run: runcard.ApiRun) -> str:
    """Changes whenever anything the feed can see about the run changes."""
    text = f"{run.path}\0{run.heartbeat_at}\0{run.state}"
    return hashlib.blake2b(text.encode(), digest_size=FINGERPRINT_CHARS // 2).hexdigest()


def make_token(now: float, watched: list[runcard.ApiRun], marks: Marks) -> str:
    """An opaque string for the next poll: the time of this read, what it saw, which runs were
    running, and the store's marks."""
    seen = [fingerprint(r) for r in watched]
    if len(seen) > MAX_REMEMBERED:
        seen = []
    live = [r.id for r in watched if r.state == "running"][:MAX_LIVE]
    text = json.dumps([now, "".join(seen), live, list(marks)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_token(token: str) -> tuple[float, set[str], list[str], Marks | None]:
    """(time of the read, fingerprints it saw, ids of the runs then running, the store's marks
    then: None in a token of an earlier release); ValueError for a string this module did not
    make."""
    try:
        padded = token + "=" * (-len(token) % 4)
        now, seen, live, *rest = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"token {token[:40]!r} is not one this server gave") from exc
    marks = rest[0] if rest else None
    if not (
        isinstance(now, (int, float))
        and isinstance(seen, str)
        and isinstance(live, list)
        and len(live) <= MAX_LIVE
        and all(isinstance(i, str) for i in live)
        and len(rest) <= 1
        and (
            marks is None
            or (
                isinstance(marks, list)
                and len(marks) == 3
                and all(type(m) is int and 0 <= m < 2**63 for m in marks)
            )
        )
    ):
        raise ValueError(f"token {token[:40]!r} is not one this server gave")
    chunks = range(0, len(seen), FINGERPRINT_CHARS)
    found = {seen[i : i + FINGERPRINT_CHARS] for i in chunks}
    return float(now), found, live, None if marks is None else (marks[0], marks[1], marks[2])


def start_token(api: runcard.Api, project: str | None, filters: dict[str, Any] | None) -> str:
    """A token for "now". Take it before reading what it goes with: a change that lands in
    between then comes back once more, rather than never."""
    now = time.time()
    marks, _, _ = store_changes(api, None)
    return make_token(now, watched_runs(api, project, filters, now, []), marks)


def epoch(iso: str | None) -> float:
    """An ISO time from the Api as seconds; 0 for a run whose stored time is not one."""
    return 0.0 if iso is None else datetime.datetime.fromisoformat(iso).timestamp()


__all__ = [
    "OVERLAP_SECONDS",
    "epoch",
    "fingerprint",
    "make_token",
    "read_token",
    "runs_with_ids",
    "start_token",
    "store_changes",
    "watched_runs",
]
