"""`runcard import tensorboard` on logdirs written by torch's SummaryWriter (with add_hparams):
equal scalars, steps, wall times and hparams; importing again stores nothing twice; a corrupt
event file is named and the rest imported."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

import runcard
from runcard.testing import assert_config_source


def import_logdir(logdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", "import", "tensorboard", str(logdir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def write_run(logdir: Path, name: str, lr: float, steps: range) -> None:
    writer = SummaryWriter(str(logdir / name))
    for step in steps:
        writer.add_scalar("train/loss", 1.0 / (step + 1) + lr, step)
        if step % 2 == 0:
            writer.add_scalar("val/acc", 0.5 + step / 100, step)
    writer.close()


def add_hparams(logdir: Path, name: str, hparams: dict, metrics: dict) -> None:
    writer = SummaryWriter(str(logdir / name))
    writer.add_hparams(hparams, metrics, run_name=".")  # in the run's own folder
    writer.close()


def scalars_of(folder: Path) -> dict[str, list[tuple[int, float, float]]]:
    """What TensorBoard itself reads: {tag: [(step, wall time, value)]}."""
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    events.Reload()
    return {
        tag: [(e.step, e.wall_time, e.value) for e in events.Scalars(tag)]
        for tag in events.Tags()["scalars"]
    }


def imported(project: str, name: str) -> runcard.ApiRun:
    (run,) = [r for r in runcard.Api().runs(project) if r.name == name]
    return run


def test_scalars_and_hparams_come_in_equal(tmp_path: Path) -> None:
    logdir = tmp_path / "tb"
    write_run(logdir, "lr_0.1", 0.1, range(30))
    write_run(logdir, "lr_0.01", 0.01, range(30))
    writer = SummaryWriter(str(logdir / "lr_0.1"))
    writer.add_hparams({"lr": 0.1, "batch_size": 32, "optimizer": "adam"}, {"hparam/acc": 0.75})
    writer.close()

    result = import_logdir(logdir, "--project", "tb")
    assert result.returncode == 0, result.stderr
    assert "2 runs from tensorboard" in result.stdout and "2 new" in result.stdout

    run = imported("tb", "lr_0.1")
    assert run.config == {"lr": 0.1, "batch_size": 32, "optimizer": "adam"}
    blame = run.provenance()
    assert_config_source(run, "batch_size", "import:tensorboard")
    assert blame["batch_size"][-1]["detail"] == "32.0"  # TensorBoard holds it as a double
    assert run.summary["hparam/acc"] == pytest.approx(0.75)
    for name in ("lr_0.1", "lr_0.01"):
        expected = scalars_of(logdir / name)
        history = imported("tb", name).history(pandas=False)
        for tag in ("train/loss", "val/acc"):
            got = [(row["_step"], row["_timestamp"], row[tag]) for row in history if tag in row]
            assert [(s, v) for s, _, v in got] == [(s, v) for s, _, v in expected[tag]]
            assert [t for _, t, _ in got] == pytest.approx([t for _, t, _ in expected[tag]])
    assert imported("tb", "lr_0.1").summary["train/loss"] == pytest.approx(1 / 30 + 0.1)
    assert imported("tb", "lr_0.01").state == "finished"


def test_importing_twice_stores_nothing_twice_and_a_grown_run_adds_only_the_new_rows(
    tmp_path: Path,
) -> None:
    logdir = tmp_path / "tb"
    write_run(logdir, "a", 0.1, range(1500))  # more than one stored chunk
    add_hparams(logdir, "a", {"lr": 0.1}, {"hparam/acc": 0.5})
    assert import_logdir(logdir).returncode == 0
    first = imported("tb", "a")
    before = (first.history(pandas=False), first.config, first.provenance())

    again = import_logdir(logdir)
    assert again.returncode == 0 and "0 new, 0 history rows added" in again.stdout
    second = imported("tb", "a")
    assert (second.history(pandas=False), second.config, second.provenance()) == before
    assert len(runcard.Api().runs("tb")) == 1

    write_run(logdir, "a", 0.1, range(1500, 1600))
    grown = import_logdir(logdir)
    assert grown.returncode == 0, grown.stderr
    history = imported("tb", "a").history(pandas=False)
    assert [row["_step"] for row in history] == list(range(1600))
    assert [row["train/loss"] for row in history[-100:]] == pytest.approx(
        [1.0 / (s + 1) + 0.1 for s in range(1500, 1600)]
    )


def test_a_corrupt_event_file_is_named_and_the_other_runs_come_in(tmp_path: Path) -> None:
    logdir = tmp_path / "tb"
    write_run(logdir, "good", 0.1, range(10))
    write_run(logdir, "bad", 0.2, range(10))
    (bad,) = (logdir / "bad").glob("events.out.tfevents.*")
    data = bytearray(bad.read_bytes())
    data[200:260] = b"\xff" * 60  # a damaged record in the middle of the file
    bad.write_bytes(bytes(data))
    (logdir / "junk").mkdir()
    (logdir / "junk" / "events.out.tfevents.0.junk").write_bytes(b"not an event file at all")

    result = import_logdir(logdir, "--project", "tb")
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stderr and str(bad) in result.stderr
    good = imported("tb", "good").history(pandas=False)
    assert [row["_step"] for row in good] == list(range(10))


def test_a_missing_logdir_is_a_usage_error(tmp_path: Path) -> None:
    result = import_logdir(tmp_path / "nowhere")
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "is not a folder" in result.stderr


def test_a_progress_bar_shows_on_a_terminal_and_not_in_a_pipe(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    logdir = tmp_path / "tb"
    for number in range(3):
        write_run(logdir, f"run{number}", 0.1, range(5))
    primary, secondary = pty.openpty()
    # a terminal 80 columns wide (a new pty has none, and tqdm then draws an empty bar)
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    terminal: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                piece = os.read(primary, 4096)
            except OSError:  # the terminal closed with the process
                return
            if not piece:
                return
            terminal.append(piece)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    command = [sys.executable, "-m", "runcard", "import", "tensorboard", str(logdir)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=secondary) as process:
        output, _ = process.communicate(timeout=120)
    os.close(secondary)
    reader.join(timeout=10)
    os.close(primary)
    assert process.returncode == 0
    assert (
        b" runs" in b"".join(terminal) and b" runs/" not in output
    )  # tqdm's count of runs, on the terminal
    piped = import_logdir(logdir, "--project", "piped")
    assert piped.returncode == 0 and piped.stderr == ""
