"""copy.copy, copy.deepcopy and pickle of a Run, its Config and Summary, and of the
module-level runcard.config / runcard.summary: before, during and after a run."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import runcard
from helpers import run_script


def _pickled(value: object) -> object:
    return pickle.loads(pickle.dumps(value))


class Callback:
    """What KerasTuner and sklearn-style cloning deep-copy: an object holding a run."""

    def __init__(self, run: runcard.Run) -> None:
        self.run = run
        self.seen = [1, 2]


def test_copies_of_a_live_run_are_the_run_itself_and_keep_logging_to_it() -> None:
    run = runcard.init(project="p", config={"lr": 0.1})
    run.log({"loss": 1.0})
    assert copy.copy(run) is run and copy.deepcopy(run) is run and _pickled(run) is run
    clone = copy.deepcopy(Callback(run))
    assert clone.run is run
    clone.run.log({"loss": 0.5})
    run.finish()
    assert copy.deepcopy(run) is run
    finished = _pickled(run)  # no longer live: a stand-in with its identity, storing nothing
    assert isinstance(finished, runcard.Run) and finished.path == run.path
    assert finished.disabled and finished.config == {"lr": 0.1}
    history = runcard.Api().run(run.path).history(pandas=False)
    assert [row["loss"] for row in history] == [1.0, 0.5]


def test_config_copies_shallow_shares_deep_and_pickle_detach() -> None:
    run = runcard.init(project="p", config={"lr": 0.1, "model": {"depth": 2}})
    assert copy.copy(run.config) is run.config
    for snapshot in (copy.deepcopy(run.config), _pickled(run.config)):
        assert isinstance(snapshot, runcard.Config)
        assert snapshot == {"lr": 0.1, "model": {"depth": 2}}
        snapshot.extra = 1  # a snapshot: writable, stored nowhere
        snapshot.model.width = 3
        assert snapshot.model == {"depth": 2, "width": 3} and snapshot.extra == 1
    nested = copy.deepcopy(run.config.model)
    assert type(nested) is dict and nested == {"depth": 2}
    assert type(_pickled(run.config.model)) is dict
    assert run.config.as_dict() == {"lr": 0.1, "model": {"depth": 2}}
    run.finish()
    after = copy.deepcopy(run.config)
    after.late = 1  # the finished run refuses writes; its detached copy takes them
    assert _pickled(run.config) == {"lr": 0.1, "model": {"depth": 2}}
    assert runcard.Api().run(run.path).config == {"lr": 0.1, "model": {"depth": 2}}


def test_summary_copies() -> None:
    run = runcard.init(project="p")
    run.log({"acc": 0.5})
    run.summary["best"] = 0.9
    assert copy.copy(run.summary) is run.summary
    for snapshot in (copy.deepcopy(run.summary), _pickled(run.summary)):
        assert isinstance(snapshot, runcard.Summary)
        assert snapshot.as_dict() == {"acc": 0.5, "best": 0.9}
        snapshot["other"] = 1
    run.finish()
    assert copy.deepcopy(run.summary).as_dict() == {"acc": 0.5, "best": 0.9}
    assert runcard.Api().run(run.path).summary == {"acc": 0.5, "best": 0.9}


def test_module_level_config_and_summary_copy_before_during_and_after_a_run() -> None:
    assert copy.copy(runcard.config) is runcard.config
    assert copy.deepcopy(runcard.config) is runcard.config
    assert _pickled(runcard.config) is runcard.config
    assert _pickled(runcard.summary) is runcard.summary
    run = runcard.init(project="p", config={"a": 1})
    snapshot = copy.deepcopy(runcard.config)
    assert isinstance(snapshot, runcard.Config) and snapshot == {"a": 1}
    assert copy.deepcopy(runcard.summary).as_dict() == {}
    run.finish()
    assert copy.deepcopy(runcard.config) is runcard.config


def test_a_run_unpickled_where_it_is_not_live_is_a_disabled_stand_in(tmp_path: Path) -> None:
    run = runcard.init(project="p", config={"a": 1}, tags=["t"])
    run.summary["s"] = 2
    (tmp_path / "run.pkl").write_bytes(pickle.dumps(run))
    script = tmp_path / "child.py"
    script.write_text(
        "import pickle, sys\n"
        "run = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "run.log({'x': 1}); run.config.b = 2\n"
        "print(run.path, run.mode, run.tags, run.config['a'], run.summary['s'])\n"
    )
    result = run_script(script, str(tmp_path / "run.pkl"))
    assert result.stdout.split() == [run.path, "disabled", "('t',)", "1", "2"]
    assert "not live" in result.stderr
    run.finish()
    saved = runcard.Api().run(run.path)
    assert saved.config == {"a": 1} and "x" not in saved.summary
