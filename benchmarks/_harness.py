"""The parent side: fresh child processes, tools taking turns, medians, row registry."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PEERS = ("wandb", "mlflow", "trackio", "tensorboardX")
WORKLOADS = Path(__file__).with_name("_workloads.py")
RESULT_PREFIX = "BENCH_RESULT "
CHILD_TIMEOUT_S = 300


class ChildError(Exception):
    """A child process failed or printed no result."""


@dataclass
class Sample:
    """One timed child process: its figure, what it printed, and the store it used."""

    value: float
    info: dict[str, Any]
    store: Path


@dataclass
class ToolResult:
    samples: list[Sample] = field(default_factory=list)
    skipped: str | None = None  # why this tool has no figure for the row

    @property
    def median(self) -> float | None:
        if self.skipped or not self.samples:
            return None
        return statistics.median(s.value for s in self.samples)


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    target: float  # runcard must reach at most this
    tools: dict[str, ToolResult] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # runcard failures: crash, data missing

    @property
    def value(self) -> float | None:
        result = self.tools.get("runcard")
        return None if result is None else result.median

    @property
    def meets(self) -> bool | None:
        value = self.value
        return None if value is None or self.problems else value <= self.target


RowFn = Callable[["Context", Figure], None]


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    unit: str
    target: float
    fn: RowFn


ROWS: list[Row] = []


def row(key: str, title: str, *, unit: str, target: float) -> Callable[[RowFn], RowFn]:
    """Register a row function; it fills `fig.tools` (via `ctx.measure`) and `fig.problems`."""

    def register(fn: RowFn) -> RowFn:
        ROWS.append(Row(key, title, unit, target, fn))
        return fn

    return register


def available_peers() -> list[str]:
    """The peer trackers importable in this interpreter (never installed by the benchmarks)."""
    return [name for name in PEERS if importlib.util.find_spec(name) is not None]


def _tool_env(tool: str, store: Path) -> dict[str, str]:
    """Where each tool keeps its data: everything under `store`, nothing phoned home."""
    if tool == "runcard":
        return {"RUNCARD_DIR": str(store / "runcard")}
    if tool == "wandb":
        return {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(store)}
    if tool == "mlflow":
        return {
            "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
    if tool == "trackio":
        return {
            "TRACKIO_DIR": str(store / "trackio"),
            "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
    return {}


def runcard_store(store: Path) -> Path:
    """The RUNCARD_DIR a runcard child used, for checks through `runcard.Api(dir=...)`."""
    return store / "runcard"


class Context:
    """One benchmark session: repetitions, the peers to compare with, a temp root."""

    def __init__(self, reps: int, peers: list[str], log: Callable[[str], None]) -> None:
        self.reps = reps
        self.peers = peers
        self.log = log
        self.notes: list[str] = []
        self.root = Path(tempfile.mkdtemp(prefix="runcard-bench-"))
        self.home = self.root / "home"
        self.cwd = self.root / "cwd"  # empty: no config-defaults.yaml to pick up
        self.home.mkdir()
        self.cwd.mkdir()
        self._source = WORKLOADS.read_text(encoding="utf-8")
        self._counter = 0

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def new_store(self, tool: str) -> Path:
        """An empty directory; each tool creates its store inside it."""
        self._counter += 1
        path = self.root / f"{tool}-{self._counter}"
        path.mkdir()
        return path

    def run_child(self, tool: str, workload: str, store: Path, *args: str) -> dict[str, Any]:
        # Bytecode caching stays on, as for any installed package: the untimed first run of
        # each workload compiles, the timed ones load .pyc files.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("RUNCARD_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(HOME=str(self.home), DO_NOT_TRACK="1", BENCH_DIR=str(store))
        env.update(_tool_env(tool, store))
        cmd = [sys.executable, "-c", self._source, tool, workload, *args]
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise ChildError(f"timed out after {CHILD_TIMEOUT_S} s") from exc
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
        if proc.returncode != 0 or not lines:
            tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()][-1:]
            reason = tail[0].strip() if tail else "no output"
            raise ChildError(f"exit {proc.returncode}: {reason}")
        info: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
        return info

    def measure(
        self, fig: Figure, workload: str, *args: str, fresh_store: bool = False
    ) -> list[Sample]:
        """Time `workload` in `self.reps` fresh processes per tool, tools taking turns.

        Each tool first runs it once untimed (warm file caches; with `fresh_store=False` this
        run creates the store the timed runs share). A peer that fails is skipped with the reason
        noted; a runcard failure raises ChildError. Returns runcard's samples, to check."""
        tools = ["runcard", *self.peers]
        shared: dict[str, Path] = {}
        for tool in tools:
            fig.tools[tool] = ToolResult()
            shared[tool] = self.new_store(tool)
            self._attempt(fig, tool, workload, shared[tool], args)
        for _ in range(self.reps):
            for tool in tools:
                if fig.tools[tool].skipped:
                    continue
                store = self.new_store(tool) if fresh_store else shared[tool]
                info = self._attempt(fig, tool, workload, store, args)
                if info is not None:
                    fig.tools[tool].samples.append(Sample(float(info["value"]), info, store))
        return fig.tools["runcard"].samples

    def _attempt(
        self, fig: Figure, tool: str, workload: str, store: Path, args: tuple[str, ...]
    ) -> dict[str, Any] | None:
        try:
            return self.run_child(tool, workload, store, *args)
        except ChildError as exc:
            if tool == "runcard":
                raise ChildError(f"runcard child for {workload!r} failed: {exc}") from exc
            fig.tools[tool].skipped = str(exc)
            note = f"{tool} skipped for {fig.title!r}: {exc}"
            self.notes.append(note)
            self.log(note)
            return None
