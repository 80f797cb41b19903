"""Run lifecycle (SPEC §2, §5) on a real store."""

from __future__ import annotations

import getpass
import logging
import os
import subprocess
from pathlib import Path

import pytest

import runcard
from pg_server import store_exists


def test_init_returns_a_run_visible_through_the_api_at_once(store_dir: Path) -> None:
    run = runcard.init(project="vision", config={"lr": 0.1}, tags=["baseline"], notes="first")
    assert store_exists(store_dir)
    live = runcard.Api().run(run.path)
    assert live.state == "running"
    assert live.config == {"lr": 0.1}
    assert live.tags == ["baseline"] and live.notes == "first"
    run.finish()
    assert runcard.Api().run(run.path).state == "finished"


def test_run_identity_defaults() -> None:
    run = runcard.init(project="vision")
    assert len(run.id) == 8 and run.id.isalnum()
    assert run.entity == os.environ.get("USER") or getpass.getuser()
    assert run.path == f"{run.entity}/vision/{run.id}"
    assert run.name.count("-") == 2 and run.name.endswith("-1")
    second = runcard.init(project="vision")
    assert second.name.endswith("-2")
    assert runcard.init().project == "uncategorized"


def test_given_identity_is_kept() -> None:
    run = runcard.init(
        project="vision", entity="team", name="resnet-a", id="abc123", group="g1", job_type="train"
    )
    run.finish()
    saved = runcard.Api().run("team/vision/abc123")
    assert (saved.name, saved.group, saved.job_type, saved.entity) == (
        "resnet-a",
        "g1",
        "train",
        "team",
    )
    assert runcard.Api().run("vision/abc123").id == "abc123"
    assert runcard.Api().run("abc123").id == "abc123"


def test_module_level_verbs_act_on_the_current_run() -> None:
    run = runcard.init(project="p", config={"a": 1})
    assert runcard.run is run
    runcard.config.b = 2
    runcard.config["c"] = 3
    runcard.log({"loss": 0.5})
    assert runcard.summary["loss"] == 0.5
    runcard.finish()
    assert runcard.run is None
    saved = runcard.Api().run(run.path)
    assert saved.config == {"a": 1, "b": 2, "c": 3}
    assert saved.summary == {"loss": 0.5}


def test_verbs_without_a_run_say_to_call_init() -> None:
    with pytest.raises(runcard.UsageError, match=r"runcard.init\(\)"):
        runcard.log({"a": 1})
    with pytest.raises(runcard.UsageError, match=r"runcard.init\(\)"):
        runcard.config["a"] = 1
    runcard.finish()  # nothing to finish: no error


def test_second_init_finishes_the_first_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    first = runcard.init(project="p", config={"a": 1})
    with caplog.at_level(logging.WARNING, logger="runcard"):
        second = runcard.init(project="p", config={"a": 2})
    assert second is not first
    assert first.path in caplog.text
    assert runcard.Api().run(first.path).state == "finished"
    assert runcard.run is second


def test_context_manager_marks_a_raising_block_failed_and_reraises() -> None:
    with pytest.raises(ZeroDivisionError), runcard.init(project="p", config={"a": 1}) as run:
        1 / 0  # noqa: B018
    saved = runcard.Api().run(run.path)
    assert saved.state == "failed" and saved.exit_code == 1
    assert saved.config == {"a": 1}
    with runcard.init(project="p") as ok:
        pass
    assert runcard.Api().run(ok.path).state == "finished"


def test_finish_with_a_nonzero_exit_code_marks_the_run_failed() -> None:
    run = runcard.init(project="p")
    run.finish(exit_code=3)
    saved = runcard.Api().run(run.path)
    assert (saved.state, saved.exit_code) == ("failed", 3)


def test_a_run_stopped_on_purpose_is_stored_and_filtered_as_stopped() -> None:
    stopped = runcard.init(project="p", config={"lr": 0.1})
    runcard.finish(state="stopped")
    done = runcard.init(project="p", config={"lr": 0.2})
    done.finish()
    assert runcard.Api().run(stopped.path).state == "stopped"
    chosen = runcard.Api().runs("p", filters={"state": "stopped"})
    assert [r.id for r in chosen] == [stopped.id]


def test_finish_refuses_a_state_a_run_cannot_end_in() -> None:
    run = runcard.init(project="p")
    with pytest.raises(ValueError, match=r"'crashed'.*finished, failed, stopped"):
        run.finish(state="crashed")
    run.log({"loss": 1.0})
    run.finish()
    assert runcard.Api().run(run.path).state == "finished"


def test_disabled_mode_keeps_the_api_and_stores_nothing(store_dir: Path) -> None:
    run = runcard.init(project="p", config={"lr": 0.1}, mode="disabled")
    run.config.epochs = 3
    run.log({"loss": 1.0})
    assert run.config.as_dict() == {"lr": 0.1, "epochs": 3}
    assert run.summary["loss"] == 1.0
    run.finish()
    assert not store_exists(store_dir)


def test_offline_mode_stores_locally_and_says_so() -> None:
    run = runcard.init(project="p", mode="offline")
    run.finish()
    assert runcard.Api().run(run.path).mode == "offline"
    with pytest.raises(runcard.UsageError, match="mode"):
        runcard.init(project="p", mode="cloud")


def test_resume_must_continues_the_run_with_its_config_and_steps() -> None:
    run = runcard.init(project="p", id="resume1", config={"lr": 0.1})
    run.log({"loss": 1.0})
    run.log({"loss": 0.9})
    run.finish()
    again = runcard.init(project="p", id="resume1", resume="must")
    assert again.config.as_dict() == {"lr": 0.1}
    assert again.step == 2
    again.log({"loss": 0.8})
    again.config.epochs = 5
    again.finish()
    saved = runcard.Api().run(run.path)
    assert saved.state == "finished"
    assert saved.config == {"lr": 0.1, "epochs": 5}
    assert [row["_step"] for row in saved.history(pandas=False)] == [0, 1, 2]
    assert saved.summary["loss"] == 0.8


def test_resume_must_without_the_run_and_reuse_without_resume_fail_clearly() -> None:
    with pytest.raises(runcard.RunNotFoundError, match="nope"):
        runcard.init(project="p", id="nope", resume="must")
    runcard.init(project="p", id="taken").finish()
    with pytest.raises(runcard.UsageError, match="resume='allow'"):
        runcard.init(project="p", id="taken")
    allowed = runcard.init(project="p", id="taken", resume="allow", config={"x": 1})
    allowed.finish()
    assert runcard.Api().run(allowed.path).config == {"x": 1}
    fresh = runcard.init(project="p", id="newone", resume="allow")
    assert fresh.id == "newone"


def test_bad_identity_arguments_name_the_argument() -> None:
    with pytest.raises(runcard.UsageError, match="project"):
        runcard.init(project="a/b")
    with pytest.raises(runcard.UsageError, match="resume"):
        runcard.init(project="p", resume="sometimes")


def test_host_metadata_is_recorded(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "train.py").write_text("print(1)\n")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    subprocess.run(["git", "-C", str(tmp_path), "add", "train.py"], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "commit", "-qm", "x"], check=True, env={**os.environ, **env}
    )
    commit = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    (tmp_path / "train.py").write_text("print(2)\n")  # dirty
    run = runcard.init(project="p")
    run.finish()
    meta = runcard.Api().run(run.path).metadata
    assert meta["pid"] == os.getpid()
    assert meta["python"].count(".") == 2
    assert meta["hostname"] and meta["argv"]
    assert meta["git_commit"] == commit
    assert meta["git_dirty"] is True


def test_reinit_return_previous_merges_the_config_into_the_live_run() -> None:
    hosted = runcard.init(project="p", config={"lr": 0.1, "model": {"depth": 2}})
    joined = runcard.init(config={"lr": 0.1, "batch": 32}, reinit="return_previous")
    assert joined is hosted
    previous = runcard.setup(reinit="return_previous")
    assert previous == "finish_previous"
    again = runcard.init(config={"model": {"width": 4}})
    assert again is hosted
    runcard.setup(reinit=previous)
    hosted.finish()
    saved = runcard.Api().run(hosted.path)
    assert saved.config == {"lr": 0.1, "model": {"depth": 2, "width": 4}, "batch": 32}
    assert saved.provenance()["batch"][0]["source"] == "init"
    with pytest.raises(runcard.UsageError, match="reinit"):
        runcard.init(project="p", reinit="start_over")


def test_a_failing_init_leaves_the_live_run_alone(tmp_path: Path) -> None:
    live = runcard.init(project="p", config={"a": 1})
    with pytest.raises(runcard.ConfigFileError):
        runcard.init(project="p", config=str(tmp_path / "missing.yaml"))
    assert runcard.run is live
    live.log({"x": 1})
    live.finish()
    assert runcard.Api().run(live.path).state == "finished"


def test_a_joining_init_says_which_identity_arguments_it_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hosted = runcard.init(project="p")
    with caplog.at_level(logging.WARNING, logger="runcard"):
        joined = runcard.init(project="other", name="mine", reinit="return_previous")
    assert joined is hosted and joined.project == "p"
    assert "project='other'" in caplog.text and "name='mine'" in caplog.text


def test_writes_to_a_finished_run_say_to_use_the_api() -> None:
    run = runcard.init(project="p", config={"a": 1})
    run.finish()
    with pytest.raises(runcard.UsageError, match=r"Api\(\)\.run"):
        run.config.b = 2
    with pytest.raises(runcard.UsageError, match="finished"):
        run.summary["best"] = 0.9
    assert runcard.Api().run(run.path).config == {"a": 1}


def test_generated_names_are_numbered_per_project() -> None:
    runs = [runcard.init(project=p) for p in ("a", "a", "b", "a")]
    runcard.Api().run(runs[1].path).delete()  # a deleted run's number is not given again
    runs.append(runcard.init(project="a"))
    assert [run.name.rsplit("-", 1)[1] for run in runs] == ["1", "2", "1", "3", "4"]


@pytest.mark.sqlite_only  # a migration of an SQLite store
def test_a_store_from_before_run_counters_keeps_numbering(store_dir: Path) -> None:
    import sqlite3

    for _ in range(2):
        runcard.init(project="a").finish()
    old = sqlite3.connect(store_dir / "runcard.db", isolation_level=None)
    old.execute("DROP TABLE run_counters")  # the store as the first schema version left it
    old.execute("PRAGMA user_version = 1")
    old.close()
    run = runcard.init(project="a")
    assert run.name.endswith("-3")


@pytest.mark.sqlite_only  # SQLite files
def test_a_run_after_its_store_was_deleted_lands_in_the_new_store(store_dir: Path) -> None:
    runcard.init(project="a").finish()  # the process keeps the finished run's connection
    for file in store_dir.glob("runcard.db*"):
        file.unlink()
    run = runcard.init(project="a", config={"lr": 0.1})
    run.finish()
    assert runcard.Api().run(run.path).config == {"lr": 0.1}
    assert [stored.id for stored in runcard.Api().runs("a")] == [run.id]


def test_run_dir_is_a_local_folder_beside_the_store_or_in_home_for_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    run = runcard.init(project="p")
    folder = Path(run.dir)
    assert folder.is_dir() and folder.is_absolute() and folder.name == run.id
    root = os.environ["RUNCARD_DIR"]
    local = tmp_path / "home" / ".runcard" if root.startswith("postgres") else Path(root)
    assert folder == local / "runs" / run.id
