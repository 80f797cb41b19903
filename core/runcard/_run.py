"""A run: its identity, its config and summary, `log()`, and its end."""

from __future__ import annotations

import os
import time

from runcard import _state
from runcard._config import Config
from runcard._errors import UsageError
from runcard._metrics import flatten
from runcard._summary import Summary

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any

    from runcard._store import Store
    from runcard._writer import Writer


class Run:
    """One experiment. Made by `runcard.init()`; also a context manager that finishes the run
    (failed if the block raised)."""

    def __init__(
        self,
        *,
        id: str,
        name: str,
        entity: str,
        project: str,
        group: str | None,
        job_type: str | None,
        tags: tuple[str, ...],
        notes: str | None,
        mode: str,
        root: str,
        config: Config,
        summary: Summary,
        store: Store | None = None,
        run_pk: int | None = None,
        writer: Writer | None = None,
        step: int = 0,
    ) -> None:
        self.id = id
        self.name = name
        self.entity = entity
        self.project = project
        self.group = group
        self.job_type = job_type
        self.tags = tags
        self.notes = notes
        self.mode = mode
        self.config = config
        self.summary = summary
        self._root = root
        self._store = store
        self._pk = run_pk
        self._writer = writer
        self._step = step
        self._row: dict[str, Any] = {}
        self._finished = False
        if writer is not None:
            object.__setattr__(config, "_sink", writer.put_config)
            summary._sink = writer.put_summary
        object.__setattr__(config, "_step_of", lambda: self._step)

    # -- identity --------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def dir(self) -> str:
        """A directory for this run's files, under the store's directory."""
        path = os.path.join(self._root, "runs", self.id)
        os.makedirs(path, exist_ok=True)
        return path

    @property
    def step(self) -> int:
        """The step of the next history row."""
        return self._step

    @property
    def disabled(self) -> bool:
        return self.mode == "disabled"

    def __repr__(self) -> str:
        return f"<runcard.Run {self.path} name={self.name!r} mode={self.mode}>"

    # -- metrics ---------------------------------------------------------------------------
    def log(
        self, data: dict[str, Any], step: int | None = None, commit: bool | None = None
    ) -> None:
        """Record metrics. Each call is a new row unless `commit=False` (accumulate into the
        current row) or `step=` names the row; a step lower than the current one is stored as
        its own row, never dropped."""
        if self._finished:
            raise UsageError(f"run {self.path} is finished; start a new one with runcard.init()")
        if not isinstance(data, dict):
            raise TypeError(f"log() takes a dict of metrics, got {type(data).__name__}")
        row = flatten(data)
        if step is not None:
            if isinstance(step, bool) or not isinstance(step, int):
                raise TypeError(f"log(step=...) must be an int, got {step!r}")
            if step < self._step:
                self._emit(step, row)
                return
            if step > self._step:
                self._commit()
                self._step = step
        self._row.update(row)
        if commit is True or (commit is None and step is None):
            self._commit()

    def _commit(self) -> None:
        if self._row:
            self._emit(self._step, self._row)
            self._row = {}
            self._step += 1

    def _emit(self, step: int, row: dict[str, Any]) -> None:
        self.summary._logged(row)
        if self._writer is not None:
            self._writer.put_history((step, time.time(), row))

    # -- end -------------------------------------------------------------------------------
    def finish(self, exit_code: int | None = None) -> None:
        """Store everything and mark the run finished (failed for a non-zero exit code)."""
        if self._finished:
            return
        self._commit()
        self._finished = True
        if self in _state.live_runs:
            _state.live_runs.remove(self)
        if _state.current_run.get() is self:
            _state.current_run.set(None)
        if self._writer is None or self._store is None or self._pk is None:
            return
        if self.config._descriptions:
            self._writer.put_descriptions(dict(self.config._descriptions))
        self._writer.close("failed" if exit_code else "finished", exit_code)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish(exit_code=1 if exc is not None else 0)
