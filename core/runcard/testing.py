"""runcard's pytest plugin: a store of the test's own, and assertions on what a script recorded.

pytest loads this module through the `pytest11` entry point wherever runcard is installed. It
does nothing until a test asks for one of its fixtures:

- `runcard_store`: an empty store in the test's temporary folder, used by every `runcard.init()`
  and `runcard.Api()` of the test (through $RUNCARD_DIR), and the `Api` that reads it;
- `runcard_run`: a live run in that store, finished when the test ends.

The assertions read a finished (or live) run through the Api, as a user would, and fail with a
message that says what was recorded instead:

    def test_training_records_its_settings(runcard_store):
        train(["--lr", "0.1"])
        run = runcard_store.only_run()
        assert_config_source(run, "lr", "argparse")
        assert_logged_each(run, "val_acc", per="epoch")
"""

from __future__ import annotations

from pathlib import Path

import pytest

import runcard
from runcard import _process, _settings, _state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from runcard._api import ApiRun
    from runcard._run import Run

__all__ = ["RecordedStore", "assert_config_source", "assert_logged_each"]

# settings that would send a test's runs somewhere else, or change what init() reads
_ISOLATED_ENV = (
    _settings.ENV_URL,
    _settings.ENV_MODE,
    _settings.ENV_PROJECT,
    _settings.ENV_ENTITY,
    _settings.ENV_CONFIG_PATHS,
)


class RecordedStore:
    """The store of one test: `.dir`, `.api`, and the runs recorded in it."""

    def __init__(self, dir: Path) -> None:
        self.dir = dir
        self.api = runcard.Api(dir=str(dir))

    def runs(self, project: str | None = None) -> list[ApiRun]:
        """Every run of `project` (of every project when None), oldest first."""
        projects = [project] if project else [p.name for p in self.api.projects()]
        found = [run for name in projects for run in self.api.runs(name)]
        return sorted(found, key=lambda run: run.created_at or "")

    def only_run(self, project: str | None = None) -> ApiRun:
        """The one run recorded (in `project`); fails when there is none or several."""
        found = self.runs(project)
        if len(found) != 1:
            names = ", ".join(run.path for run in found) or "none"
            raise AssertionError(f"expected exactly one recorded run, found {len(found)}: {names}")
        return found[0]


@pytest.fixture
def runcard_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordedStore]:
    """An empty runcard store for this test; runs left live by the test are finished after it."""
    root = tmp_path / "runcard-store"
    monkeypatch.setenv(_settings.ENV_DIR, str(root))
    for name in _ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    live_before = set(map(id, _process.process.live_runs))
    yield RecordedStore(root)
    for run in list(_process.process.live_runs):
        if id(run) not in live_before:
            run.finish()
    _state.current_run.set(None)


@pytest.fixture
def runcard_run(runcard_store: RecordedStore, request: pytest.FixtureRequest) -> Iterator[Run]:
    """A live run in the test's store (project "pytest", named after the test), finished after."""
    run = runcard.init(project="pytest", name=request.node.name)
    yield run
    run.finish()


def assert_config_source(run: ApiRun, key: str, source: str) -> None:
    """The latest value of config `key` (dotted for nested keys) came from `source`
    ("argparse", "code", "hydra", ... as `runcard config blame` shows)."""
    revisions = run.provenance().get(key)
    if not revisions:
        known = ", ".join(sorted(run.provenance())) or "none"
        raise AssertionError(f"config key {key!r} was never recorded in {run.path}; keys: {known}")
    latest = revisions[-1]
    if latest["source"] != source:
        where = f" ({latest['detail']})" if latest["detail"] else ""
        raise AssertionError(
            f"config key {key!r} of {run.path} came from {latest['source']!r}{where}, "
            f"not {source!r}"
        )


def assert_logged_each(run: ApiRun, key: str, per: str | None = None) -> None:
    """`key` was logged at every step of the history, or, with `per` (such as "epoch"), at
    least once for each value that `per` took."""
    rows: list[dict[str, Any]] = run.history(pandas=False)
    if per is None:
        missing = [row["_step"] for row in rows if key not in row]
        what = "step"
    else:
        seen = [row[per] for row in rows if per in row]
        if not seen:
            raise AssertionError(f"{per!r} was never logged in {run.path}")
        with_key = {row[per] for row in rows if per in row and key in row}
        missing = [value for value in dict.fromkeys(seen) if value not in with_key]
        what = per
    if missing or not rows:
        shown = ", ".join(map(repr, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise AssertionError(
            f"{key!r} was not logged at every {what} of {run.path}: missing at {shown or 'all'}"
        )
