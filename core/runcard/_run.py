"""A run: its identity, its config and summary, `log()`, and its end."""

from __future__ import annotations

import os
from time import time as _now

from runcard import _settings, _state
from runcard._config import Config
from runcard._config_static import ConfigStatic, run_url
from runcard._copies import run_reduce, same_object
from runcard._define_metric import parse as parse_definition
from runcard._errors import UsageError
from runcard._history_buffer import History
from runcard._process import process
from runcard._store import _fields
from runcard._summary import Summary
from runcard._writer import MAX_QUEUED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType
    from typing import Any

    from runcard._sync import Pusher
    from runcard._writer import Writer


def _check_keys(data: dict[Any, Any]) -> None:
    for key in data:
        if not isinstance(key, str):
            raise TypeError(
                f"log(): metric keys must be strings, got {key!r} ({type(key).__name__})"
            )


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
        history: History,
        writer: Writer | None = None,
        pusher: Pusher | None = None,
        step: int = 0,
        resumed: bool = False,
        sweep: str | None = None,
    ) -> None:
        self.id = id
        self.sweep_id = sweep  # the sweep whose agent started this run, as in wandb
        self._name = name
        self.entity = entity
        self.project = project
        self.group = group
        self.job_type = job_type
        self._tags = tags
        self._notes = notes
        self.mode = mode
        self.resumed = resumed  # init() continued a stored run
        self.config = config
        self.summary = summary
        self._root = root
        self._dir: str | None = None
        self._writer = writer
        self._pusher = pusher  # copies the stored run to a tracking server (RUNCARD_URL)
        self._step = step
        # a row queued by log(step=) or commit=False that later calls may add values to (the
        # writer merges them, see _open_row), and whether log(step=) opened it
        self._row_open = False
        self._row_by_step = False
        self._finished = False
        self._beside = False  # started by init(reinit="create_new"): never the current run
        self._history = history
        self._entries = history.queue
        self._make_room = writer.make_room if writer is not None else history.process
        self._wake_above = writer.wake_above if writer is not None else [MAX_QUEUED]
        summary._settle = history.process
        summary._forget = history.forget
        if writer is not None:
            object.__setattr__(config, "_sink", writer.put_config)
            summary._sink = writer.put_summary
        object.__setattr__(config, "_step_of", lambda: self._step)

    # -- identity --------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    def project_name(self) -> str:
        return self.project

    @property
    def offline(self) -> bool:
        return self.mode == "offline"

    @property
    def url(self) -> str | None:
        """The run's page on the team server it is copied to (RUNCARD_URL); None otherwise:
        a local `runcard ui` has no address known to the run."""
        return run_url(self)

    @property
    def config_static(self) -> ConfigStatic:
        return ConfigStatic(self.config.as_dict())

    # name, notes and tags: set during the run, stored with it (as an Api edit would)
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = self._edit("name", value)

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._notes = self._edit("notes", value)

    @property
    def tags(self) -> tuple[str, ...]:
        return self._tags

    @tags.setter
    def tags(self, value: Iterable[str]) -> None:
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise UsageError(f"run.tags takes a list of strings, not {value!r}")
        self._tags = tuple(self._edit("tags", list(value)))

    def _edit(self, field: str, value: Any) -> Any:
        if self._finished:
            raise UsageError(
                f"run {self.path} is finished: set its {field} with "
                f"runcard.Api().run({self.path!r}), then .update()"
            )
        try:
            _fields.check_edit({field: value})
        except UsageError as exc:
            raise UsageError(f"run.{field}: {exc}") from None
        if self._writer is not None:
            self._writer.put_fields({field: value})
        return value

    @property
    def dir(self) -> str:
        """A directory for this run's files, under the store's directory (for a PostgreSQL
        store, under ~/.runcard), made on first use; for a disabled run, a scratch folder in
        the system's temp directory, so that a disabled run writes nothing beside the store."""
        if self._dir is None:
            if self.disabled:
                import tempfile

                self._dir = tempfile.mkdtemp(prefix=f"runcard-disabled-{self.id}-")
                return self._dir
            path = os.path.join(_settings.files_root(self._root), "runs", self.id)
            os.makedirs(path, exist_ok=True)
            self._dir = path
        return self._dir

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
        its own row, never dropped. Values are read on the writer thread: don't mutate nested
        dicts after logging them."""
        if type(data) is not dict and not isinstance(data, dict):
            raise TypeError(f"log() takes a dict of metrics, got {type(data).__name__}")
        for key in data:  # the cheapest check on the caller (a set of types costs twice this)
            if type(key) is not str:
                _check_keys(data)
        if commit is None and not self._finished:
            if step is None:
                if not self._row_open:
                    entries = self._entries  # the common case: one call, one row
                    entries.append((self._step, _now(), data.copy()))
                    self._step += 1
                    if len(entries) > self._wake_above[0]:
                        self._make_room()
                    return
            elif type(step) is int and step >= self._step and data:
                if step > self._step:  # a new row; the open one is complete
                    self._step = step
                    self._row_open = False
                entries = self._entries  # one entry per call: the writer merges a step's values
                entries.append((step, _now(), data.copy(), self._row_open))
                self._row_open = self._row_by_step = True
                if len(entries) > self._wake_above[0]:
                    self._make_room()
                return
        self._log_row(data, step, commit)

    def _log_row(self, data: dict[str, Any], step: int | None, commit: bool | None) -> None:
        if self._finished:
            raise UsageError(f"run {self.path} is finished; start a new one with runcard.init()")
        if step is not None:
            if isinstance(step, bool) or not isinstance(step, int):
                raise TypeError(f"log(step=...) must be an int, got {step!r}")
            if step < self._step:  # an earlier step: its own row, the current one stays open
                self._queue(step, data.copy(), None)
                return
            if step > self._step:
                self._commit()
                self._step = step
            self._row_by_step = True
        elif self._row_by_step:  # a call without step is a new row: close the stepped one
            self._commit()
        closes = commit is True or (commit is None and step is None)
        if data:  # a row closed at once is queued as a row of its own
            continues = None if closes and not self._row_open else self._row_open
            self._queue(self._step, data.copy(), continues)
            self._row_open = True
        if closes:
            self._commit()

    def _commit(self) -> None:
        self._row_by_step = False
        if self._row_open:
            self._row_open = False
            self._step += 1

    def _queue(self, step: int, data: dict[Any, Any], continues: bool | None) -> None:
        """`continues`: None, a row of its own; else whether the values continue the open row."""
        entries = self._entries
        if continues is None:
            entries.append((step, _now(), data))
        else:
            entries.append((step, _now(), data, continues))
        if len(entries) > self._wake_above[0]:
            self._make_room()

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> None:
        """What the summary of `name` holds: `summary="min,max"` (of min, max, mean, first,
        last, best, copy, none) makes `run.summary[name]` a dict of those; "best" follows
        `goal="minimize" | "maximize"`. A name ending in "*" defines every key it starts.
        A second call for a name adds to the first unless `overwrite=True`. `step_metric`,
        `step_sync` and `hidden` are kept for wandb's UI and change nothing here."""
        if self._finished:
            raise UsageError(f"run {self.path} is finished; start a new one with runcard.init()")
        key, definition = parse_definition(name, step_metric, summary, goal)
        self._history.define(key, definition, bool(overwrite))

    # -- end -------------------------------------------------------------------------------
    def finish(self, exit_code: int | None = None, *, state: str | None = None) -> None:
        """Store everything and mark the run finished (failed for a non-zero exit code).

        `state="stopped"` marks a run ended early on purpose (a sweep's early termination, a
        pruned trial); `"finished"` and `"failed"` may be given too.
        """
        if state is None:
            state = "failed" if exit_code else "finished"
        elif state not in _fields.END_STATES:
            raise ValueError(f"finish(state={state!r}): use one of {', '.join(_fields.END_STATES)}")
        if self._finished:
            return
        self._commit()
        self._finished = True
        process.remove_live_run(self)
        if _state.current_run.get() is self:
            _state.current_run.set(None)
        if self._writer is None:
            self._history.process()
            return
        if self.config._descriptions:
            self._writer.put_descriptions(dict(self.config._descriptions))
        try:
            self._writer.close(state, exit_code)
        finally:
            object.__setattr__(self.config, "_sink", self._refuse_write)
            self.summary._sink = self._refuse_write
            if self._pusher is not None:
                self._pusher.close()

    def _refuse_write(self, _: Any) -> None:
        raise UsageError(
            f"run {self.path} is finished: edit it with runcard.Api().run({self.path!r}), "
            "change .config or .summary, then .update()"
        )

    # copies: see runcard._copies
    __copy__ = same_object
    __deepcopy__ = same_object
    __reduce__ = run_reduce

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish(exit_code=1 if exc is not None else 0)
