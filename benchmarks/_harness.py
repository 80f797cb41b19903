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

from benchmarks._workloads import unsupported

PEERS = ("wandb", "mlflow", "trackio", "tensorboardX")
WORKLOADS = Path(__file__).with_name("_workloads.py")
RESULT_PREFIX = "BENCH_RESULT "
CHILD_TIMEOUT_S = 300


class ChildError(Exception):
    """A child process failed or printed no result."""


Stat = Callable[[list[float]], float]
ValueOf = Callable[[str, Path, dict[str, Any]], float]


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
    stat: Stat = statistics.median  # how the samples make the figure (the worst case: max)

    @property
    def value(self) -> float | None:
        if self.skipped or not self.samples:
            return None
        return self.stat([s.value for s in self.samples])


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    target: float  # runcard must reach at most this (at least, with `at_least`)
    at_least: bool = False  # higher is better: calls/s
    stat: Stat = statistics.median
    tools: dict[str, ToolResult] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # runcard failures: crash, data missing

    def result(self, tool: str) -> ToolResult:
        """The tool's (empty) result, created with this figure's statistic."""
        return self.tools.setdefault(tool, ToolResult(stat=self.stat))

    @property
    def value(self) -> float | None:
        result = self.tools.get("runcard")
        return None if result is None else result.value

    @property
    def meets(self) -> bool | None:
        value = self.value
        if value is None or self.problems:
            return None
        return value >= self.target if self.at_least else value <= self.target

    def ratio(self, tool: str) -> float | None:
        """runcard's cost over the peer's: below 1 means runcard is better, whichever way the
        unit points (for calls/s the peer's rate over runcard's)."""
        result = self.tools.get(tool)
        mine, theirs = self.value, (None if result is None else result.value)
        if mine is None or theirs is None or mine <= 0 or theirs <= 0:
            return None
        return theirs / mine if self.at_least else mine / theirs


RowFn = Callable[["Context", Figure], None]


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    unit: str
    target: float
    at_least: bool
    stat: Stat
    fn: RowFn
    opt_in: bool = False  # measured only when --only names it

    def figure(self) -> Figure:
        return Figure(self.key, self.title, self.unit, self.target, self.at_least, self.stat)


ROWS: list[Row] = []


def row(
    key: str,
    title: str,
    *,
    unit: str,
    target: float,
    at_least: bool = False,
    stat: Stat = statistics.median,
    opt_in: bool = False,
) -> Callable[[RowFn], RowFn]:
    """Register a row function; it fills `fig.tools` (via `ctx.measure`) and `fig.problems`.
    `at_least`: the target is a minimum (higher is better). `stat`: how a tool's samples make
    its figure (default the median; `max` for a worst case). The function may set `fig.title`
    (to name the counts it ran with)."""

    def register(fn: RowFn) -> RowFn:
        ROWS.append(Row(key, title, unit, target, at_least, stat, fn, opt_in))
        return fn

    return register


def num(value: float) -> str:
    """A figure for the table: 3 significant digits or so, thousands separated."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


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
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
    return {}


def store_bytes(store: Path) -> int:
    """Bytes of every file a tool left under `store`, SQLite's -wal included; the -shm index
    (shared memory, rebuilt on open) is not data and is left out."""
    return sum(
        p.stat().st_size for p in store.rglob("*") if p.is_file() and not p.name.endswith("-shm")
    )


def runcard_store(store: Path) -> Path:
    """The RUNCARD_DIR a runcard child used, for checks through `runcard.Api(dir=...)`."""
    return store / "runcard"


class Context:
    """One benchmark session: repetitions, the peers to compare with, a temp root."""

    def __init__(
        self, reps: int, peers: list[str], log: Callable[[str], None], *, quick: bool = False
    ) -> None:
        self.reps = reps
        self.peers = peers
        self.log = log
        self.quick = quick  # rows use smaller counts (and say so in their titles)
        self.notes: list[str] = []
        self.shared: dict[str, Any] = {}  # what one row measured for a later one
        self.root = Path(tempfile.mkdtemp(prefix="runcard-bench-"))
        self.home = self.root / "home"
        self.cwd = self.root / "cwd"  # empty: no config-defaults.yaml to pick up
        self.home.mkdir()
        self.cwd.mkdir()
        self._source = WORKLOADS.read_text(encoding="utf-8")
        self._counter = 0

    def close(self) -> None:
        for close in self.shared.get("closers", []):  # servers a row started
            close()
        shutil.rmtree(self.root, ignore_errors=True)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)
            self.log(message)

    def new_store(self, tool: str) -> Path:
        """An empty directory; each tool creates its store inside it."""
        self._counter += 1
        path = self.root / f"{tool}-{self._counter}"
        path.mkdir()
        return path

    def child_env(self, tool: str, store: Path, extra: dict[str, str] | None) -> dict[str, str]:
        # Bytecode caching stays on, as for any installed package: the untimed first run of
        # each workload compiles, the timed ones load .pyc files.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("RUNCARD_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(HOME=str(self.home), DO_NOT_TRACK="1", BENCH_DIR=str(store))
        env.update(_tool_env(tool, store))
        env.update(extra or {})
        return env

    def child_cmd(self, tool: str, workload: str, *args: str) -> list[str]:
        return [sys.executable, "-c", self._source, tool, workload, *args]

    def run_child(
        self,
        tool: str,
        workload: str,
        store: Path,
        *args: str,
        env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            proc = subprocess.run(
                self.child_cmd(tool, workload, *args),
                cwd=self.cwd,
                env=self.child_env(tool, store, env),
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

    def spawn(
        self, tool: str, workload: str, store: Path, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """Start a child that keeps running (to be killed); its stdout is a pipe, its stderr goes
        to `stderr_path(store)`. It leads a new session, so whatever it starts (wandb's service)
        can be ended with it."""
        with self.stderr_path(store).open("w") as stderr:
            return subprocess.Popen(
                self.child_cmd(tool, workload, *args),
                cwd=self.cwd,
                env=self.child_env(tool, store, env),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                start_new_session=True,
            )

    def stderr_path(self, store: Path) -> Path:
        return store.with_name(store.name + ".stderr")

    def measure(
        self,
        fig: Figure,
        workload: str,
        *args: str,
        fresh_store: bool = False,
        setup: tuple[str, ...] = (),
        value_of: ValueOf | None = None,
        peers: bool = True,
    ) -> list[Sample]:
        """Time `workload` in `self.reps` fresh processes per tool, tools taking turns.

        Each tool first runs it once untimed (warm file caches; with `fresh_store=False` this
        run creates the store the timed runs share). `setup` (a workload and its arguments) runs
        once per tool before that, untimed, in the shared store; what it prints reaches every
        later child as $BENCH_SETUP (JSON). `value_of(tool, store, info)`, when given, makes a
        sample's value in the parent after the child exited (bytes on disk). `peers=False`:
        runcard only. A peer that fails is skipped with the reason noted; a runcard failure
        raises ChildError. Returns runcard's samples, to check."""
        if setup and fresh_store:
            raise ValueError("setup runs once in the shared store: not with fresh_store")
        tools = ["runcard", *(self.peers if peers else [])]
        shared: dict[str, Path] = {}
        env: dict[str, dict[str, str]] = {}
        for tool in tools:
            fig.result(tool)
            reason = unsupported(tool, workload) or (setup and unsupported(tool, setup[0]))
            if reason:
                if tool == "runcard":
                    raise ChildError(reason)
                self.skip(fig, tool, reason)
                continue
            shared[tool] = self.new_store(tool)
            env[tool] = {}
            if setup:
                info = self._attempt(fig, tool, setup[0], shared[tool], setup[1:], {})
                if info is None:
                    continue
                env[tool] = {"BENCH_SETUP": json.dumps(info)}
            self._attempt(fig, tool, workload, shared[tool], args, env[tool])
        for _ in range(self.reps):
            for tool in tools:
                if fig.tools[tool].skipped:
                    continue
                store = self.new_store(tool) if fresh_store else shared[tool]
                info = self._attempt(fig, tool, workload, store, args, env[tool])
                if info is None:
                    continue
                value = value_of(tool, store, info) if value_of else float(info["value"])
                fig.tools[tool].samples.append(Sample(value, info, store))
        return fig.tools["runcard"].samples

    def _attempt(
        self,
        fig: Figure,
        tool: str,
        workload: str,
        store: Path,
        args: tuple[str, ...],
        env: dict[str, str],
    ) -> dict[str, Any] | None:
        try:
            info = self.run_child(tool, workload, store, *args, env=env)
        except ChildError as exc:
            if tool == "runcard":
                raise ChildError(f"runcard child for {workload!r} failed: {exc}") from exc
            self.skip(fig, tool, str(exc))
            return None
        if info.get("note"):  # a peer ran a smaller count, say
            self.note(f"{tool}, {fig.title!r}: {info['note']}")
        return info

    def skip(self, fig: Figure, tool: str, reason: str) -> None:
        fig.result(tool).skipped = reason
        self.note(f"{tool} skipped for {fig.title!r}: {reason}")
