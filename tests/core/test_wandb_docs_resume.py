"""wandb's "Resume a run" doc snippets (examples/wandb_docs/resume_*.py), run unchanged but for
`import runcard as wandb`, each in a fresh interpreter, then read back through the Api.

Left out, as cloud-only: `wandb.restore()` of checkpoint files, preemptible sweeps
(`run.mark_preempting()`), and resume="auto" without an id (wandb finds the crashed run from a
file under ./wandb)."""

from __future__ import annotations

from pathlib import Path

import runcard
from helpers import REPO, run_script

DOCS = REPO / "examples" / "wandb_docs"


def _run(store_dir: Path | str, name: str, check: bool = True) -> str:
    env = {"RUNCARD_DIR": str(store_dir)}
    return run_script(DOCS / name, env=env, check=check).stdout


def test_allow_then_must_then_auto_continue_one_run_from_its_last_step(
    store_dir: Path | str,
) -> None:
    assert _run(store_dir, "resume_allow.py").split() == ["new", "0"]
    assert _run(store_dir, "resume_must.py").split() == ["resumed", "3"]
    assert _run(store_dir, "resume_auto.py").split() == ["resumed", "6"]
    assert _run(store_dir, "resume_allow.py").split() == ["resumed", "9"]
    run = runcard.Api().run("nico/awesome-project/pgbn9y21")
    assert run.state == "finished"
    history = run.history(pandas=False)
    assert [row["_step"] for row in history] == list(range(12))
    assert [row["epoch"] for row in history] == list(range(12))
    assert run.summary["loss"] == 1.0 / 12


def test_must_without_the_run_fails_clearly_and_stores_nothing(store_dir: Path | str) -> None:
    result = run_script(DOCS / "resume_must.py", env={"RUNCARD_DIR": str(store_dir)}, check=False)
    assert result.returncode != 0
    assert "resume='must'" in result.stderr and "pgbn9y21" in result.stderr
    assert "Traceback" in result.stderr and "sqlite3" not in result.stderr
    assert runcard.Api().runs("nico/awesome-project") == []
