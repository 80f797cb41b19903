"""`RuncardCallback`: a Hydra callback that gives every Hydra job its own runcard run."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from numbers import Number
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import TaskFunction
from omegaconf import DictConfig, ListConfig, OmegaConf

import runcard
from runcard import integration
from runcard_hydra import _capture

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing_extensions import override
else:

    def override(method: Any) -> Any:
        return method


logger = logging.getLogger("runcard.hydra")

# Where the unresolved config goes, under `run.dir` (Hydra's own `.hydra/` files, copied).
FILES_DIR = "hydra"
ENV_DIR = "RUNCARD_DIR"  # runcard's store folder


class RuncardCallback(Callback):
    """One runcard run per Hydra job, started in `on_job_start` and finished in `on_job_end`.

    Enable it with the `hydra/callbacks: runcard` option rather than constructing it (see the
    package docstring); its arguments are the keys of `hydra.callbacks.runcard`:

    Args:
        project, entity, group, job_type, tags, notes, dir, mode: passed to `runcard.init`.
            `group` defaults to the sweep directory in a multirun (none in a single run).
        name: the run name, a `str.format` pattern filled in at each job from `job_name`,
            `num` (the multirun job number; empty in a single run, and separators left
            dangling at the ends are dropped), `id`, `override_dirname`,
            `config_name`, `choices` (`{choices[db]}`) and `cfg` (the task config:
            `{cfg.model.depth}`). None: runcard's readable default name.
        return_key: the summary key of a number the task function returns (a dict of numbers
            goes to the summary under its own keys).
        **init_kwargs: any other `runcard.init` argument (`config_exclude_keys`, ...).
    """

    def __init__(
        self,
        *,
        project: str | None = None,
        entity: str | None = None,
        name: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        tags: Iterable[str] | str | None = None,
        notes: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        mode: str | None = None,
        return_key: str = "return_value",
        **init_kwargs: Any,
    ) -> None:
        self.project = project
        self.entity = entity
        self.name = name
        self.group = group
        self.job_type = job_type
        self.tags = _tags(tags)
        self.notes = notes
        # absolute now: with `hydra.job.chdir=True` a job runs in its output directory
        self.dir = None if dir is None else os.path.abspath(os.fspath(dir))
        self.mode = mode
        self.return_key = return_key
        init_kwargs = {k: _plain(v) for k, v in init_kwargs.items()}
        self._include = _keys(init_kwargs.pop("config_include_keys", None))
        self._exclude = _keys(init_kwargs.pop("config_exclude_keys", None))
        if self._include is not None and self._exclude is not None:
            raise ValueError("RuncardCallback: give config_include_keys or config_exclude_keys")
        self.init_kwargs = init_kwargs
        self._run: runcard.Run | None = None
        self._reinit: str | None = None

    def __getstate__(self) -> dict[str, Any]:  # launchers pickle callbacks to their workers
        state = self.__dict__.copy()
        state["_run"] = None
        state["_reinit"] = None
        return state

    # -- hooks -----------------------------------------------------------------------------
    @override
    def on_job_start(
        self, config: DictConfig, *, task_function: TaskFunction, **kwargs: Any
    ) -> None:
        """Start the job's run: config, provenance, Hydra facts, the unresolved config files.
        Runs where the job runs (in the launcher's worker for remote launchers)."""
        self._end_run(exit_code=1, why="its job never reached on_job_end")
        job = _capture.capture(config)
        # the job's run is the current run (the task's runcard.init() and runcard.log() reach
        # it), so not reinit="create_new"; a store problem gives a disabled run and a warning,
        # and the job goes on
        run = integration.start_run(
            project=self.project,
            entity=self.entity,
            name=self._run_name(job),
            group=self.group if self.group is not None else job.sweep_dir,
            job_type=self.job_type,
            tags=self.tags,
            notes=self.notes,
            dir=self._store_dir(config),
            mode=self.mode,
            reinit="finish_previous",
            **self.init_kwargs,
        )
        self._run = run
        # runcard.init() in the task function now returns this run (its config merged in)
        self._reinit = runcard.setup(reinit="return_previous")
        self._record_config(run, job)
        if not run.disabled:
            _save_files(run, config, job)

    @override
    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """Put the task's return value in the summary and finish the run, failed if the task
        raised."""
        failed = job_return.status != JobStatus.COMPLETED
        run = self._run
        if run is not None and not failed:
            values = summary_values(job_return.return_value, self.return_key)
            if values and runcard.run is run:
                run.summary.update(integration.flatten(values))  # dotted, as documented
            elif values and not run.disabled:  # the task called runcard.finish() itself
                _summary_after_finish(run, values)
        self._end_run(exit_code=1 if failed else 0)

    # -- helpers ---------------------------------------------------------------------------
    def _end_run(self, exit_code: int, why: str | None = None) -> None:
        run, self._run = self._run, None
        if self._reinit is not None:
            runcard.setup(reinit=self._reinit)
            self._reinit = None
        if run is not None:
            if why is not None:
                logger.warning("runcard: finishing run %s as failed: %s", run.path, why)
            integration.finish_run(run, exit_code=exit_code)

    def _store_dir(self, config: DictConfig) -> str | None:
        """`dir`, else a relative $RUNCARD_DIR made absolute against the directory Hydra was
        started in: with `hydra.job.chdir=True` the job runs in its output directory, where a
        relative store would give each job a store of its own."""
        if self.dir is not None:
            return self.dir
        env = os.environ.get(ENV_DIR)
        if not env or os.path.isabs(os.path.expanduser(env)):
            return None
        started_in = _capture.select(config.hydra, "runtime.cwd") or os.getcwd()
        return os.path.join(str(started_in), env)

    def _run_name(self, job: _capture.JobCapture) -> str | None:
        if not self.name:
            return None
        fields = {
            "job_name": job.job_name,
            "num": "" if job.job_num is None else job.job_num,
            "id": job.job_id or "",
            "override_dirname": job.override_dirname,
            "config_name": job.config_name or "",
            "choices": job.choices,
            "cfg": job.task_config,
        }
        try:
            # an empty field ({num} in a single run) leaves no separator dangling at the ends
            return str(self.name).format(**fields).strip(" -_.,") or None
        except Exception as exc:
            logger.warning(
                "runcard: hydra.callbacks.runcard.name=%r does not format (%s: %s); fields are "
                "%s; using the default name",
                self.name,
                type(exc).__name__,
                exc,
                ", ".join(fields),
            )
            return None

    def _keep(self, top: str) -> bool:
        if self._include is not None:
            return top in self._include
        return self._exclude is None or top not in self._exclude

    def _record_config(self, run: runcard.Run, job: _capture.JobCapture) -> None:
        """Write the task config, then the Hydra facts under `hydra`, in the composed order,
        each leaf with its origin: a command-line override ("hydra-override", the override as
        detail), an interpolation ("hydra", the expression), or the composed config ("hydra",
        the primary config's name)."""
        resolved = {k: v for k, v in job.resolved.items() if self._keep(k)}
        origins: dict[_capture.Path, tuple[str, str | None]] = {
            path: ("hydra", expression) for path, expression in job.interpolations.items()
        }
        for item in job.overrides:
            if item.is_delete:
                continue
            if item.is_group:
                if item.key in job.choices:
                    path = ("hydra", "runtime", "choices", item.key)
                    origins[path] = ("hydra-override", item.text)
                continue
            target = _capture.override_target(resolved, tuple(item.key.split(".")))
            if target is not None:
                origins[target[0]] = ("hydra-override", item.text)
        origins[("hydra",)] = ("hydra", None)  # the job's facts
        config_origin = ("hydra", job.config_name)
        tree = {**resolved, "hydra": job.hydra}
        for (source, detail), values in _capture.batches(tree, origins, config_origin):
            run.config.update(values, allow_val_change=True, source=source, detail=detail)


def summary_values(value: Any, key: str) -> dict[str, Any] | None:
    """The summary entries for a task's return value: a number under `key`, a mapping as its
    own keys (nested mappings dotted), a sequence of numbers (multi-objective sweepers) as
    `key.0`, `key.1`, ...; anything else (None, a model, ...) is not recorded."""
    value = _plain(value)
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()} or None
    if _is_number(value):
        return {key: value}
    if (
        isinstance(value, Sequence)
        and not isinstance(value, (str, bytes))
        and value
        and all(_is_number(v) for v in value)
    ):
        return {key: {str(i): v for i, v in enumerate(value)}}
    if value is not None:
        logger.debug("runcard: the task returned a %s; not recorded", type(value).__name__)
    return None


def _summary_after_finish(run: runcard.Run, values: dict[str, Any]) -> None:
    """Store the return value of a task that finished its run itself (wandb scripts often end
    with `wandb.finish()`), through the Api: recorded as an edit with source "api"."""
    try:
        integration.update_finished_summary(run, values)
    except Exception as exc:
        logger.warning("runcard: could not store the return value in %s: %s", run.path, exc)


def _is_number(value: Any) -> bool:
    if isinstance(value, Number):
        return True
    # numpy / torch zero-dimensional values, without importing them
    return callable(getattr(value, "item", None)) and getattr(value, "shape", None) == ()


def _save_files(run: runcard.Run, config: DictConfig, job: _capture.JobCapture) -> None:
    """The unresolved configs, as Hydra writes them to `<output_dir>/.hydra/`:
    `<run.dir>/hydra/config.yaml` (the task config), `hydra.yaml`, `overrides.yaml`."""
    folder = os.path.join(run.dir, FILES_DIR)
    os.makedirs(folder, exist_ok=True)
    texts = {
        "config.yaml": OmegaConf.to_yaml(job.task_config, resolve=False),
        "hydra.yaml": OmegaConf.to_yaml({"hydra": config.hydra}, resolve=False),
        "overrides.yaml": OmegaConf.to_yaml(job.hydra["overrides"]["task"]),
    }
    for file_name, text in texts.items():
        with open(os.path.join(folder, file_name), "w", encoding="utf-8") as f:
            f.write(text)


def _plain(value: Any) -> Any:
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _tags(tags: Any) -> tuple[str, ...] | None:
    tags = _plain(tags)
    if tags is None:
        return None
    if isinstance(tags, str):
        return (tags,)
    return tuple(str(t) for t in tags)


def _keys(keys: Any) -> set[str] | None:
    keys = _plain(keys)
    if keys is None:
        return None
    if isinstance(keys, str):
        return {keys}
    return {str(k) for k in keys}
