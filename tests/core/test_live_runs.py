"""Several live runs in one process: init(reinit="create_new") and the other reinit policies,
as wandb (>= 0.19.10) defines them, on a real store."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

import runcard
from helpers import run_script


def test_create_new_runs_beside_the_current_one_each_logging_to_itself() -> None:
    main = runcard.init(project="p", config={"role": "main"})
    side = runcard.init(project="p", config={"role": "eval"}, reinit="create_new")
    assert side is not main and side.id != main.id
    # wandb: a create_new run never becomes the global run; module-level calls stay on main
    assert runcard.run is main
    runcard.log({"loss": 1.0})
    runcard.config.lr = 0.1
    runcard.summary["best"] = 0.5
    side.log({"acc": 0.9})
    side.log({"acc": 0.95})
    side.config.k = 3
    side.summary["note"] = "eval"
    side.finish()
    assert runcard.run is main and main.step == 1
    runcard.log({"loss": 0.5})
    main.finish()
    saved_main, saved_side = runcard.Api().run(main.path), runcard.Api().run(side.path)
    assert saved_main.config == {"role": "main", "lr": 0.1}
    assert saved_side.config == {"role": "eval", "k": 3}
    assert [r["loss"] for r in saved_main.history(pandas=False)] == [1.0, 0.5]
    assert [r["acc"] for r in saved_side.history(pandas=False)] == [0.9, 0.95]
    assert saved_main.summary["best"] == 0.5 and "acc" not in saved_main.summary
    assert saved_side.summary["acc"] == 0.95 and saved_side.summary["note"] == "eval"
    assert "loss" not in saved_side.summary
    assert saved_main.state == saved_side.state == "finished"


def test_create_new_with_no_current_run_leaves_module_calls_without_a_run() -> None:
    side = runcard.init(project="p", reinit="create_new")
    assert runcard.run is None
    with pytest.raises(runcard.UsageError, match="init"):
        runcard.log({"x": 1})
    side.log({"x": 1})
    side.finish()
    assert runcard.Api().run(side.path).summary["x"] == 1


def test_finish_previous_finishes_the_current_run_and_the_runs_beside_it() -> None:
    main = runcard.init(project="p")
    sides = [runcard.init(project="p", reinit="create_new") for _ in range(2)]
    fresh = runcard.init(project="p", reinit=True)
    assert runcard.run is fresh
    for run in (main, *sides):
        assert runcard.Api().run(run.path).state == "finished"
    assert runcard.Api().run(fresh.path).state == "running"


def test_return_previous_and_false_return_the_current_run_even_beside_new_ones() -> None:
    main = runcard.init(project="p")
    side = runcard.init(project="p", reinit="create_new")
    assert runcard.init(reinit="return_previous") is main
    assert runcard.init(reinit=False) is main
    side.finish()
    assert runcard.Api().run(side.path).state == "finished"
    assert runcard.Api().run(main.path).state == "running"


def test_process_exit_finishes_every_live_run(tmp_path: Path) -> None:
    script = tmp_path / "several.py"
    script.write_text(
        "import sys, runcard\n"
        "main = runcard.init(project='p', id='main')\n"
        "side = runcard.init(project='p', id='side', reinit='create_new')\n"
        "main.log({'a': 1}); side.log({'b': 2})\n"
        "if sys.argv[1] == 'raise':\n"
        "    raise RuntimeError('boom')\n"
        "if sys.argv[1] == 'term':\n"
        "    import os, signal\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
    )
    codes = {"exit": 0, "raise": 1, "term": -signal.SIGTERM}
    for how, state in (("exit", "finished"), ("raise", "failed"), ("term", "failed")):
        root = tmp_path / how
        result = run_script(script, how, env={"RUNCARD_DIR": str(root)}, check=False)
        assert result.returncode == codes[how], result.stderr
        api = runcard.Api(dir=str(root))
        assert api.run("p/main").state == state and api.run("p/side").state == state
        assert api.run("p/side").summary["b"] == 2
