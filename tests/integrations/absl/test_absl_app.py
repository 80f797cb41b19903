"""runcard_absl.run: real absl programs run as subprocesses, read back through the Api."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import runcard

PROGRAM = textwrap.dedent(
    """
    import sys
    from absl import flags, logging
    import runcard, runcard_absl

    flags.DEFINE_integer("batch_size", 32, "Examples per step.", short_name="b")
    flags.DEFINE_float("lr", 0.001, "Learning rate.", lower_bound=0.0)
    flags.DEFINE_boolean("augment", False, "Augment the data.")
    flags.DEFINE_enum("optimizer", "adam", ["adam", "sgd"], "Optimizer.")
    flags.DEFINE_list("layers", ["64", "32"], "Hidden layer sizes.")
    flags.DEFINE_string("fail", "", "How main ends: raise, exit3 or nothing.")
    FLAGS = flags.FLAGS

    def main(argv):
        print(runcard.run.path, flush=True)
        runcard.log({"loss": 0.5})
        FLAGS.batch_size = FLAGS.batch_size * 2  # the program changes a flag
        if FLAGS.fail == "raise":
            raise RuntimeError("boom")
        if FLAGS.fail == "exit3":
            sys.exit(3)

    if __name__ == "__main__":
        runcard_absl.run(main, project="absl")
    """
)


def run_program(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(PROGRAM)
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=120,
    )


def stored(result: subprocess.CompletedProcess[str]) -> runcard.ApiRun:
    return runcard.Api().run(result.stdout.splitlines()[0].strip())


def test_flags_are_the_config_with_types_help_and_command_line_provenance(
    tmp_path: Path,
) -> None:
    result = run_program(tmp_path, "-b", "64", "--augment", "--optimizer=sgd", "--layers=8,4")
    assert result.returncode == 0, result.stderr
    run = stored(result)
    assert run.state == "finished"
    assert run.config == {
        "batch_size": 128,  # 64 from the command line, doubled by the program
        "lr": 0.001,
        "augment": True,
        "optimizer": "sgd",
        "layers": ["8", "4"],
        "fail": "",
    }
    provenance = run.provenance()
    assert [(r["source"], r["value"]) for r in provenance["batch_size"]] == [
        ("absl-cli", 64),
        ("code", 128),
    ]
    assert provenance["batch_size"][1]["detail"] == "flag changed by the program"
    assert provenance["lr"][0]["source"] == "absl-default"
    assert provenance["lr"][0]["detail"].endswith("train.py")  # the defining module
    assert run.descriptions["lr"] == "Learning rate."
    assert run.summary == {"loss": 0.5}


def test_absls_own_flags_are_not_recorded(tmp_path: Path) -> None:
    run = stored(run_program(tmp_path, "--verbosity=1"))
    assert not {"verbosity", "logtostderr", "alsologtostderr", "v", "help", "b"} & set(run.config)


def test_an_exception_or_a_nonzero_exit_marks_the_run_failed(tmp_path: Path) -> None:
    raised = run_program(tmp_path, "--fail=raise")
    assert raised.returncode == 1 and "boom" in raised.stderr
    run = stored(raised)
    assert (run.state, run.exit_code) == ("failed", 1)
    assert run.config["batch_size"] == 64
    exited = run_program(tmp_path, "--fail=exit3")
    assert exited.returncode == 3
    assert (stored(exited).state, stored(exited).exit_code) == ("failed", 3)


def test_a_rejected_command_line_exits_as_absl_does_and_makes_no_run(tmp_path: Path) -> None:
    unknown = run_program(tmp_path, "--no_such_flag=1")
    assert unknown.returncode == 1 and "no_such_flag" in unknown.stderr
    invalid = run_program(tmp_path, "--lr=-1")
    assert invalid.returncode == 1 and "lr" in invalid.stderr
    assert runcard.Api().runs("absl") == []
