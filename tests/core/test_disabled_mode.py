"""mode="disabled" (or RUNCARD_MODE=disabled): every call a wandb script makes works, and
nothing is written: no store, no folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import runcard
from helpers import run_script

SCRIPT = """
import copy, os, pickle, sys
import runcard as wandb

mode = {"mode": "disabled"} if sys.argv[1] == "argument" else {}
run = wandb.init(project="p", name="n", config={"lr": 0.1, "model": {"depth": 2}},
                 tags=["a"], notes="why", group="g", id="r1", resume="allow", **mode)
assert run.disabled and not run.offline and run.resumed is False and run.url is None
assert run.project_name() == "p" and run.config_static.lr == 0.1
wandb.config.epochs = 3
run.config.update({"batch": 32})
run.define_metric("loss", summary="min")
for step in range(3):
    wandb.log({"loss": 1.0 / (step + 1), "nested": {"a": step}})
run.log({"acc": 0.5}, step=10)
wandb.summary["best"] = 0.9
run.summary.update({"other": 1})
run.name, run.notes, run.tags = "renamed", "notes", ["a", "b"]
assert run.summary["loss"]["min"] == 1.0 / 3 and wandb.config.model.depth == 2
assert copy.copy(run) is run and copy.deepcopy(run) is run
assert copy.deepcopy(run.config) == run.config and copy.copy(run.summary) is run.summary
assert pickle.loads(pickle.dumps(run)) is run
pickle.loads(pickle.dumps(run.config)); pickle.loads(pickle.dumps(run.summary))
with open(os.path.join(run.dir, "notes.txt"), "w") as scratch:
    scratch.write("a disabled run's files go to a scratch folder")
side = wandb.init(project="p", reinit="create_new", **mode)
side.log({"x": 1})
assert wandb.run is run
side.finish()
with run:
    wandb.log({"last": 1})
try:
    run.name = "late"
except wandb.UsageError:
    pass
again = wandb.init(project="p", id="r1", resume="must", **mode)
again.log({"y": 1})
print("done", sorted(run.config.keys()))
"""


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_script_using_every_call_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)
    scratch = tmp_path.parent / f"{tmp_path.name}-tmp"  # run.dir's scratch folders go here
    scratch.mkdir()
    env = {"HOME": str(tmp_path), "RUNCARD_DIR": str(tmp_path / "store"), "TMPDIR": str(scratch)}
    for how, extra in (("argument", {}), ("environment", {"RUNCARD_MODE": "disabled"})):
        result = run_script(tmp_path / "script.py", how, env={**env, **extra}, cwd=tmp_path)
        assert result.stdout.split()[0] == "done", result.stderr
    assert _listing(tmp_path) == ["script.py"]
    assert len(list(scratch.glob("runcard-disabled-*/notes.txt"))) == 2


def test_a_disabled_runs_dir_is_a_scratch_folder_outside_the_store(store_dir: Path) -> None:
    run = runcard.init(project="p", mode="disabled")
    assert not os.path.exists(str(store_dir))
    folder = run.dir
    assert os.path.isdir(folder) and folder.startswith(tempfile.gettempdir())
    assert not str(folder).startswith(str(store_dir))
    run.finish()
