"""`define_metric`: which summary a logged key gets, as wandb's handler computes it.

A key with no definition keeps its last value in the summary. A defined key with `summary=` gets
a dict of the aggregates asked for (`summary["loss"] == {"min": 0.2, "max": 0.9}`); "copy" keeps
the last value, "none" keeps the key out. As in wandb, NaN and non-numbers leave the aggregates
as they are, "best" is "min" unless `goal="maximize"`, a name ending in "*" defines every key
starting with what precedes it, and a second definition of a name adds to the first.

History keys are flattened with dots, so `"a\\.b"` (wandb's escaped dot) and `"a.b"` both name
the logged key `a.b`. Each key's value in the row still open (`log(step=)`, `commit=False`) is
held apart until a row of another step comes, so a key logged twice in one row counts once.
"""

from __future__ import annotations

import math

from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KINDS = ("min", "max", "mean", "last", "first", "best", "none", "copy")


class Definition:
    __slots__ = ("goal_max", "kinds", "step_metric")

    def __init__(self, kinds: frozenset[str] | None, goal_max: bool | None, step_metric: Any):
        self.kinds = kinds  # None: no summary= given (the key keeps its last value)
        self.goal_max = goal_max
        self.step_metric = step_metric

    def merged(self, new: Definition) -> Definition:
        """wandb merges a second definition into the first: set options win, kinds add up."""
        kinds = new.kinds if self.kinds is None else self.kinds | (new.kinds or frozenset())
        goal = new.goal_max if new.goal_max is not None else self.goal_max
        step = new.step_metric if new.step_metric is not None else self.step_metric
        return Definition(kinds, goal, step)


def parse(name: Any, step_metric: Any, summary: Any, goal: Any) -> tuple[str, Definition]:
    """The logged key (or glob) `name` defines, and its definition; UsageError on a bad one."""
    where = f"define_metric({name!r})"
    if not isinstance(name, str) or not name:
        raise UsageError(f"define_metric(name=...) must be a non-empty string, got {name!r}")
    if "*" in name[:-1]:
        raise UsageError(f"{where}: '*' may only end a name (as in 'val/*')")
    if step_metric is not None and not isinstance(step_metric, str):
        raise UsageError(f"{where}: step_metric must be a string, got {step_metric!r}")
    kinds = None
    if summary is not None:
        if not isinstance(summary, str):
            raise UsageError(f"{where}: summary must be a string such as 'min,max'")
        kinds = frozenset(part.strip().lower() for part in summary.split(","))
        unknown = sorted(kinds - set(KINDS))
        if unknown:
            raise UsageError(f"{where}: unknown summary {unknown[0]!r}: use {', '.join(KINDS)}")
    goal_max = None
    if goal is not None:
        short = goal[:3].lower() if isinstance(goal, str) else None
        if short not in ("min", "max"):
            raise UsageError(f"{where}: goal must be 'minimize' or 'maximize', got {goal!r}")
        goal_max = short == "max"
    return name.replace("\\.", "."), Definition(kinds, goal_max, step_metric)


class Definitions:
    """The definitions of one run, and the aggregates of the keys they cover."""

    def __init__(self) -> None:
        self._exact: dict[str, Definition] = {}
        self._globs: dict[str, Definition] = {}  # prefix (the name without its "*")
        self._found: dict[str, Definition | None] = {}  # key -> its definition, looked up once
        self._tracks: dict[str, _Track] = {}

    def __bool__(self) -> bool:
        return bool(self._exact or self._globs)

    def define(self, name: str, definition: Definition, overwrite: bool) -> None:
        table, key = (self._globs, name[:-1]) if name.endswith("*") else (self._exact, name)
        old = table.get(key)
        table[key] = definition if old is None or overwrite else old.merged(definition)
        self._found.clear()

    def lookup(self, key: str) -> Definition | None:
        try:
            return self._found[key]
        except KeyError:
            pass
        found = self._exact.get(key)
        if found is None and not key.startswith("_"):
            for prefix, definition in self._globs.items():
                if key.startswith(prefix):
                    found = definition
                    break
        self._found[key] = found
        return found

    def fold(self, key: str, step: int, value: Any, summary: dict[str, Any]) -> bool:
        """Fold a logged value of a defined key into `summary`; False: the key is not defined
        with a summary, and keeps its last value."""
        definition = self.lookup(key)
        if definition is None or definition.kinds is None:
            return False
        kinds = definition.kinds
        if "none" in kinds:
            return True
        if "copy" in kinds:
            summary[key] = value
            return True
        track = self._tracks.get(key)
        if track is None:
            track = self._tracks[key] = _Track()
        if track.add(step, value):
            summary[key] = track.summary(kinds, definition.goal_max)
        return True


class _Track:
    """The aggregates of one key: of the closed rows, and the value of the row still open."""

    __slots__ = ("first", "max", "min", "num", "open_step", "open_value", "tot")

    def __init__(self) -> None:
        self.first: float | None = None
        self.min = math.inf
        self.max = -math.inf
        self.tot = 0.0
        self.num = 0
        self.open_step: int | None = None
        self.open_value: Any = None

    def add(self, step: int, value: Any) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            return False  # as wandb: only real numbers, NaN skipped
        if self.open_step is not None and step != self.open_step:
            self._close()
        self.open_step, self.open_value = step, value
        return True

    def _close(self) -> None:
        value = self.open_value
        if self.first is None:
            self.first = value
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        self.tot += value
        self.num += 1

    def summary(self, kinds: frozenset[str], goal_max: bool | None) -> dict[str, Any]:
        value = self.open_value
        result: dict[str, Any] = {}
        if "first" in kinds:
            result["first"] = value if self.first is None else self.first
        if "last" in kinds:
            result["last"] = value
        if "min" in kinds or ("best" in kinds and not goal_max):
            low = value if value < self.min else self.min
            if "min" in kinds:
                result["min"] = low
            if "best" in kinds and not goal_max:
                result["best"] = low
        if "max" in kinds or ("best" in kinds and goal_max):
            high = value if value > self.max else self.max
            if "max" in kinds:
                result["max"] = high
            if "best" in kinds and goal_max:
                result["best"] = high
        if "mean" in kinds:
            result["mean"] = (self.tot + value) / (self.num + 1)
        return result
