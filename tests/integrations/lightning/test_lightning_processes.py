"""RuncardLogger across processes: ranks other than zero, DDP spawn, a missing Lightning, and the
example; each in a fresh interpreter, read back through `runcard.Api`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import runcard
import runcard_lightning
from helpers import REPO, run_script

HERE = Path(__file__).resolve().parent
TINY = HERE / "lightning_tiny.py"


def child_env(**variables: str) -> dict[str, str]:
    """The test's environment (RUNCARD_DIR included) with the adapter importable from anywhere
    and no rank variable leaking in from the machine running the tests."""
    paths = [str(Path(runcard_lightning.__file__).resolve().parent.parent), str(HERE)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env = {k: v for k, v in os.environ.items() if k not in RANK_VARIABLES}
    env.update(PYTHONPATH=os.pathsep.join(paths), PYTHONWARNINGS="ignore::FutureWarning")
    env.update(variables)
    return env


RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK", "WORLD_SIZE")


def run_python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def only_run(api: runcard.Api) -> runcard.ApiRun:
    runs = api.runs()
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize(
    ("package", "variables"),
    [
        pytest.param("lightning.pytorch", {"RANK": "1", "WORLD_SIZE": "2"}, id="RANK=1"),
        pytest.param("pytorch_lightning", {"LOCAL_RANK": "1"}, id="LOCAL_RANK=1"),
        pytest.param("lightning.pytorch", {"SLURM_PROCID": "3"}, id="SLURM_PROCID=3"),
    ],
)
def test_a_process_whose_global_rank_is_not_zero_writes_nothing(
    package: str, variables: dict[str, str], store_dir: Path, tmp_path: Path
) -> None:
    result = run_script(
        TINY,
        *("--package", package, "--project", "ranks", "--direct-calls"),
        env=child_env(**variables),
        cwd=tmp_path,
    )
    assert '"version"' in result.stdout  # the fit and the logger calls by hand ran
    assert not store_dir.exists()  # no store, no run, not one row


def test_the_same_process_on_rank_zero_records_the_fit_and_the_calls_by_hand(
    store_dir: Path, tmp_path: Path, api: runcard.Api
) -> None:
    run_script(
        TINY,
        *("--package", "pytorch_lightning", "--project", "ranks", "--direct-calls"),
        env=child_env(RANK="0"),
        cwd=tmp_path,
    )
    run = only_run(api)
    assert run.state == "finished"
    assert run.config["extra"] == {"by_hand": True}
    assert run.config["through_experiment"] == 1
    assert run.config["lr"] == 0.05
    assert run.summary["pinned"] == 1
    rows = run.history(pandas=False)
    assert rows[0]["by_hand"] == 1.0
    assert sum("loss" in row for row in rows) == 4


def test_a_ddp_spawn_fit_on_two_processes_records_one_run_written_by_rank_zero(
    tmp_path: Path, api: runcard.Api
) -> None:
    run_script(
        TINY,
        *("--package", "lightning.pytorch", "--project", "ddp"),
        *("--devices", "2", "--strategy", "ddp_spawn"),
        env=child_env(),
        cwd=tmp_path,
    )
    run = only_run(api)
    assert run.state == "finished"
    assert run.config["trainer"]["world_size"] == 2
    assert run.config["trainer"]["devices"] == 2
    assert run.config["lr"] == 0.05
    assert len(run.provenance()["lr"]) == 1  # written once: rank one started no run
    # each rank sees 8 of the 16 samples: 2 steps, each logged once (by rank zero)
    assert [row["_step"] for row in run.history(pandas=False) if "loss" in row] == [0, 1]


def test_with_only_pytorch_lightning_installed_the_logger_derives_from_its_logger_and_fits(
    tmp_path: Path, api: runcard.Api
) -> None:
    code = (
        "import runpy, sys\n"
        "sys.modules['lightning'] = None  # as if only pytorch-lightning were installed\n"
        "from runcard_lightning import RuncardLogger\n"
        "print([base.__module__ for base in RuncardLogger.__bases__])\n"
        f"sys.argv = [{str(TINY)!r}, '--package', 'pytorch_lightning', '--project', 'pl']\n"
        f"runpy.run_path({str(TINY)!r}, run_name='__main__')\n"
    )
    result = run_python(code, child_env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "['pytorch_lightning.loggers.logger']" in result.stdout
    assert only_run(api).state == "finished"


def test_importing_the_adapter_without_lightning_names_the_extra_to_install(
    tmp_path: Path,
) -> None:
    code = (
        "import sys\n"
        "sys.modules['lightning'] = None  # as if neither package were installed\n"
        "sys.modules['pytorch_lightning'] = None\n"
        "import runcard_lightning\n"
    )
    result = run_python(code, child_env(), tmp_path)
    assert result.returncode == 1
    assert "ImportError" in result.stderr
    assert 'pip install "runcard[lightning]"' in result.stderr


def test_the_example_records_a_finished_run(tmp_path: Path, api: runcard.Api) -> None:
    result = run_script(
        REPO / "examples" / "lightning_mnist_like.py", env=child_env(), cwd=tmp_path
    )
    run = only_run(api)
    assert run.project == "lightning-mnist-like"
    assert run.state == "finished"
    assert run.config["model"]["hidden"] == 32
    assert run.config["trainer"]["max_epochs"] == 2
    assert run.config["batch_size"] == 64
    assert "val_acc" in run.summary
    assert run.path in result.stdout


def test_the_overhead_benchmark_runs(tmp_path: Path) -> None:
    result = run_script(
        REPO / "benchmarks" / "lightning_overhead.py",
        *("--fits", "1", "--scale", "0.02"),
        env=child_env(),
        cwd=tmp_path,
    )
    assert "CNN, RuncardLogger" in result.stdout
    assert "RuncardLogger's own cost, a fit" in result.stdout
