"""The run object as wandb scripts touch it: resumed, offline, project_name(), url,
config_static, and name / notes / tags set during the run (stored) or after it (refused)."""

from __future__ import annotations

import pytest

import runcard


def test_name_notes_and_tags_set_during_a_run_are_stored() -> None:
    run = runcard.init(project="p", name="first", notes="n0", tags=["a"])
    run.name = "renamed"
    run.notes = "what this run tried"
    run.tags = [*run.tags, "best"]
    assert (run.name, run.notes, run.tags) == ("renamed", "what this run tried", ("a", "best"))
    run.log({"x": 1})
    run.finish()
    saved = runcard.Api().run(run.path)
    assert (saved.name, saved.notes, saved.tags) == (
        "renamed",
        "what this run tried",
        ["a", "best"],
    )


def test_name_notes_and_tags_after_finish_raise_and_change_nothing() -> None:
    run = runcard.init(project="p", name="kept", tags=["a"])
    run.finish()
    for field, value in (("name", "late"), ("notes", "late"), ("tags", ["late"])):
        with pytest.raises(runcard.UsageError, match=f"finished: set its {field}"):
            setattr(run, field, value)
    assert (run.name, run.notes, run.tags) == ("kept", None, ("a",))
    saved = runcard.Api().run(run.path)
    assert (saved.name, saved.notes, saved.tags) == ("kept", None, ["a"])


def test_a_bad_tags_value_is_a_clear_error_naming_the_field() -> None:
    run = runcard.init(project="p")
    with pytest.raises(runcard.UsageError, match=r"run\.tags"):
        run.tags = "one-string"
    with pytest.raises(runcard.UsageError, match=r"run\.name"):
        run.name = ""


def test_writing_a_finished_runs_config_raises_and_leaves_it_as_stored() -> None:
    run = runcard.init(project="p", config={"a": 1, "nested": {"b": 2}})
    run.finish()
    for write in (
        lambda: setattr(run.config, "c", 3),
        lambda: run.config.update({"a": 5, "d": 4}, allow_val_change=True),
        lambda: run.config.__setitem__("nested", {"b": 2, "e": 1}),
    ):
        with pytest.raises(runcard.UsageError, match="finished"):
            write()
    assert run.config.as_dict() == {"a": 1, "nested": {"b": 2}}
    assert "c" not in run.config
    assert runcard.Api().run(run.path).config == {"a": 1, "nested": {"b": 2}}


def test_resumed_offline_project_name_url_and_config_static() -> None:
    run = runcard.init(project="p", id="r1", config={"lr": 0.1})
    assert run.resumed is False and run.offline is False and run.project_name() == "p"
    assert run.url is None  # no team server: a local `runcard ui` has no known address
    static = run.config_static
    assert static.lr == 0.1 and static["lr"] == 0.1 and list(static.keys()) == ["lr"]
    with pytest.raises(AttributeError, match="read-only"):
        static.lr = 1
    with pytest.raises(AttributeError, match="read-only"):
        static["lr"] = 1
    run.finish()
    again = runcard.init(project="p", id="r1", resume="allow")
    assert again.resumed is True
    again.finish()
    assert runcard.init(project="p", mode="offline").offline is True


def test_url_names_the_runs_page_on_the_team_server(monkeypatch: pytest.MonkeyPatch) -> None:
    run = runcard.init(project="p", id="r2", mode="offline")
    monkeypatch.setenv("RUNCARD_URL", "http://tracker.example:8080/")
    assert run.url is None  # offline: not copied to the server
    run.mode = "online"
    assert run.url == f"http://tracker.example:8080/#/run/{run.entity}/p/r2"


def test_a_resumed_run_loads_its_stored_tags_notes_and_group() -> None:
    first = runcard.init(project="p", id="r3", tags=["a", "b"], notes="why", group="g")
    first.finish()
    again = runcard.init(project="p", id="r3", resume="must")
    assert (again.tags, again.notes, again.group) == (("a", "b"), "why", "g")
    again.finish()
    retagged = runcard.init(project="p", id="r3", resume="must", tags=["c"])
    assert (retagged.tags, retagged.notes) == (("c",), "why")
    retagged.finish()
    saved = runcard.Api().run("p/r3")
    assert (saved.tags, saved.notes, saved.group) == (["c"], "why", "g")
