"""`RuncardLogger`: a Lightning `Logger` that records a Trainer's run in runcard."""

from __future__ import annotations

import enum
import functools
import os
import sys
from typing import TYPE_CHECKING, Any, TypeVar

from typing_extensions import override

import runcard
from runcard import integration
from runcard_lightning import _sanitize
from runcard_lightning._framework import DUMMY_EXPERIMENTS, LOGGER_BASES, global_rank

if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Callable, Iterable, Mapping

_F = TypeVar("_F", bound="Callable[..., Any]")

_PREFIX_JOIN = "-"  # what Lightning's own loggers put between `prefix` and a metric name

# (config key under `trainer.`, public Trainer attribute)
TRAINER_SETTINGS = (
    ("max_epochs", "max_epochs"),
    ("min_epochs", "min_epochs"),
    ("max_steps", "max_steps"),
    ("min_steps", "min_steps"),
    ("precision", "precision"),
    ("accumulate_grad_batches", "accumulate_grad_batches"),
    ("gradient_clip_val", "gradient_clip_val"),
    ("gradient_clip_algorithm", "gradient_clip_algorithm"),
    ("strategy", "strategy"),
    ("accelerator", "accelerator"),
    ("devices", "num_devices"),
    ("num_nodes", "num_nodes"),
    ("world_size", "world_size"),
    ("check_val_every_n_epoch", "check_val_every_n_epoch"),
    ("val_check_interval", "val_check_interval"),
    ("limit_train_batches", "limit_train_batches"),
    ("limit_val_batches", "limit_val_batches"),
    ("log_every_n_steps", "log_every_n_steps"),
    ("fast_dev_run", "fast_dev_run"),
)


def _on_rank_zero(method: _F) -> _F:
    """Run `method` on global rank zero only; elsewhere it does nothing and returns None."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if global_rank() == 0:
            return method(*args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]


class RuncardLogger(*LOGGER_BASES):  # type: ignore[misc]
    """Records a Lightning Trainer's run in runcard: hyperparameters and `trainer.*` settings in
    the config (source "lightning"), metrics in the history at Lightning's step, checkpoint paths
    in the summary, and the outcome as the run's state.

    Args:
        project, name, id, tags, dir: passed to `runcard.init()` (`name` is the run's name;
            Lightning's `logger.name` property is the project, as with Lightning's W&B logger).
            `dir` (or `save_dir`, as Lightning's loggers call it) is also where checkpoints go
            (`dir/<project>/<run id>/`); with neither, `save_dir` is the run's own folder.
        run: log into this existing run instead of starting one; the logger never finishes it.
        prefix: put before every metric name, joined with "-" as Lightning's loggers do.
        **init_kwargs: any other `runcard.init()` argument (entity, group, job_type, notes,
            mode, resume, config, allow_val_change, ...).

    The run starts on first use (the `experiment` property, which the Trainer reads when fit
    starts), on global rank zero only: other ranks create nothing and write nothing. The logger
    pickles (DDP spawn) before and after its run exists; a copy continues the same run.
    `finalize("success")` finishes the run, "failed" marks it failed (exit code 1; 130 when a
    KeyboardInterrupt stopped the Trainer); a later `trainer.test()` with this logger continues the
    same run.

    When `runcard.setup(reinit="return_previous")` is in force (the Hydra adapter sets it for
    its job), the logger joins the live run instead of starting one, and leaves it open.

    The class derives from the `Logger` base of every installed Lightning package
    (`lightning.pytorch` and `pytorch_lightning`), so one logger suits either Trainer.
    """

    def __init__(
        self,
        project: str | None = None,
        name: str | None = None,
        id: str | None = None,
        run: runcard.Run | None = None,
        tags: Iterable[str] | None = None,
        dir: str | os.PathLike[str] | None = None,
        prefix: str = "",
        save_dir: str | os.PathLike[str] | None = None,
        **init_kwargs: Any,
    ) -> None:
        super().__init__()
        integration.check_init_arguments(init_kwargs, "RuncardLogger()")
        if save_dir is not None and dir is not None and os.fspath(save_dir) != os.fspath(dir):
            raise ValueError(
                f"RuncardLogger(dir={os.fspath(dir)!r}, save_dir={os.fspath(save_dir)!r}): "
                "they name the same folder; give one"
            )
        dir = dir if dir is not None else save_dir
        given = {"project": project, "name": name, "id": id, "tags": tags, "dir": dir}
        given.update(init_kwargs)
        init_args = {k: v for k, v in given.items() if v is not None}
        if tags is not None:
            init_args["tags"] = list(tags)
        if dir is not None:
            init_args["dir"] = os.fspath(dir)
        self._prefix = prefix
        self._run: runcard.Run | None = run  # the latest run object, live or finished
        self._finished = False  # whether finalize() finished `_run`
        self._owns_run = run is None
        if run is not None:
            if init_args:
                raise ValueError(
                    "RuncardLogger(run=...) logs into that run; don't also pass runcard.init() "
                    f"arguments ({', '.join(sorted(init_args))})"
                )
            # enough to find the run again from an unpickled copy in another process
            self._init_args: dict[str, Any] = {
                "project": run.project,
                "entity": run.entity,
                "mode": run.mode,
            }
            self._id: str = run.id
            self._path: str | None = run.path
            self._continue_stored = True
        else:
            self._init_args = init_args
            # chosen now, so `version` (Lightning names checkpoint folders with it) is known on
            # every rank without starting a run
            self._id = id or integration.new_run_id()
            self._path = None
            # whether a stored run with this id is ours to continue (else init() insists on a
            # new run, as runcard does for a reused id): a generated id is new, so a stored run
            # with it was made by this logger or a copy of it (DDP spawn: the copy in the child
            # process made it, the parent never saw that); a given id, once we started it
            self._continue_stored = id is None

    # -- the run -----------------------------------------------------------------------------
    @property
    def experiment(self) -> Any:
        """The runcard run, started on first use; on ranks other than zero, a Lightning
        `DummyExperiment`, as Lightning's own loggers give there (see `_NoRun`)."""
        if global_rank() != 0:
            return _NoRun()
        if self._run is None or self._finished:
            self._run = self._start()
            self._finished = False
        return self._run

    def _start(self) -> runcard.Run:
        current = None if self._path is None else integration.live_run(self._path)
        if current is not None:
            return current  # an unpickled copy in the process that holds the run
        kwargs = {**self._init_args, "id": self._id}
        if self._continue_stored and kwargs.get("resume") in (None, False, "never"):
            kwargs["resume"] = "allow"  # after finalize(), or in a copy made by pickling
        # a run of its own beside any other (another logger's, the user's); the live run
        # under runcard.setup(reinit="return_previous"); a disabled one if the store fails
        run = integration.start_run(**kwargs)
        if run.id != self._id:
            # init() joined a run that is already live (runcard.setup(reinit="return_previous"):
            # a Hydra job's run, say): log into it, and leave its end to whoever started it
            self._owns_run = False
            self._id = run.id
        self._continue_stored = True
        self._path = run.path
        return run

    # -- what Lightning reads ----------------------------------------------------------------
    @property
    @override
    def name(self) -> str:
        """The project (Lightning puts checkpoints under `save_dir/name/version/`)."""
        if self._run is not None:
            return self._run.project
        return self._init_args.get("project") or integration.default_project()

    @property
    @override
    def version(self) -> str:
        """The run id."""
        return self._id

    @property
    @override
    def save_dir(self) -> str | None:
        """The `dir` (or `save_dir`) given to the logger; else the run's folder (`run.dir`,
        so `trainer.log_dir` is that folder), None on ranks other than zero."""
        dir = self._init_args.get("dir")
        if dir is not None:
            return str(dir)
        return self.log_dir

    @property
    @override
    def log_dir(self) -> str | None:
        """The run's own folder for files (`run.dir`); None on ranks other than zero."""
        if global_rank() != 0:
            return None
        run = self._run if self._run is not None else self.experiment
        return run.dir  # a finished run keeps its folder: reading it does not continue the run

    # -- what Lightning calls ----------------------------------------------------------------
    @override
    @_on_rank_zero
    def log_hyperparams(
        self, params: dict[str, Any] | Namespace | Any, *args: Any, **kwargs: Any
    ) -> None:
        """Merge `params` (a dict, Namespace, AttributeDict, dataclass, OmegaConf container;
        nested values stay nested) into the config with source "lightning". Equal values record
        nothing; changed values are recorded as revisions under the run's `allow_val_change`
        policy (by default: applied, and warned about once per key)."""
        if params is None:
            return
        self.experiment.config.update(_sanitize.hparams(params), source="lightning")

    @override
    @_on_rank_zero
    def log_graph(self, model: Any, input_array: Any = None) -> None:
        """Lightning calls this on every logger when fit (or test, ...) starts, right after
        `log_hyperparams`, with the module, whose Trainer is public there:

        - the Trainer's settings go under `trainer.*`: a fit records them (a later fit with other
          settings records revisions); other stages only when no fit did;
        - Lightning logs the hyperparameters as they were after `__init__`; values of those keys
          changed since (in `setup()`, by the learning-rate finder, ...) are recorded as
          revisions, in the module's and the datamodule's `hparams`.
        """
        trainer = _trainer_of(model)
        if trainer is None:
            return
        config = self.experiment.config
        for owner in (model, getattr(trainer, "datamodule", None)):
            hparams = getattr(owner, "hparams", None)
            if hparams:
                current = {k: v for k, v in hparams.items() if k in config}
                config.update(current, allow_val_change=True, source="lightning")
        state = getattr(trainer, "state", None)
        if getattr(state, "fn", None) == "fit" or "trainer" not in config:
            settings = trainer_settings(trainer)
            config.update({"trainer": settings}, allow_val_change=True, source="lightning")

    @override
    @_on_rank_zero
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """One history row per Lightning step: values logged at the same step share a row."""
        prefix = f"{self._prefix}{_PREFIX_JOIN}" if self._prefix else ""
        metrics = {f"{prefix}{k}": _sanitize.metric(v) for k, v in metrics.items()}
        run = self._run if self._run is not None and not self._finished else self.experiment
        run.log(metrics, step=None if step is None else int(step))  # run.log keeps no reference

    @override
    @_on_rank_zero
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """Record the checkpoint callback's paths (and best score) in the summary under
        `checkpoint.*`."""
        values: dict[str, Any] = {}
        for key in ("best_model_path", "last_model_path", "best_model_score", "monitor"):
            value = getattr(checkpoint_callback, key, None)
            if value is not None and not (isinstance(value, str) and not value):
                values[key] = value
        if values:
            self.experiment.summary.update(integration.flatten({"checkpoint": values}))

    @override
    @_on_rank_zero
    def finalize(self, status: str) -> None:
        """End a run this logger started: "success" -> finished; "failed" -> failed (exit code
        1, or 130 when a KeyboardInterrupt stopped the Trainer). A run passed with `run=` is
        left to its owner."""
        run = self._run
        if run is None or self._finished or not self._owns_run:
            return
        self._finished = True
        integration.finish_run(run, exit_code=_exit_code(status))

    # -- pickling (DDP spawn) ----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_run"] = None  # a live run holds a writer thread and a database connection
        state["_finished"] = False
        return state

    def __repr__(self) -> str:
        return f"<RuncardLogger {self._path or self.name + '/' + self._id}>"


class _NoRun(*DUMMY_EXPERIMENTS):  # type: ignore[misc]
    """`experiment` on ranks other than zero: a Lightning `DummyExperiment` (of each installed
    package, for Lightning's isinstance checks), so any attribute is a callable that does
    nothing and returns None, and items can be read and written. Beyond Lightning's, attribute
    chains do nothing too (`experiment.config.update(...)`, `experiment.summary["k"] = v`), so
    code written for rank zero needs no rank checks."""

    def __getattr__(self, name: str) -> _NoRun:
        if name.startswith("__"):
            raise AttributeError(name)
        return _NoRun()

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __getitem__(self, key: Any) -> _NoRun:
        return self

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def __contains__(self, key: Any) -> bool:
        return False

    def __repr__(self) -> str:
        return "<RuncardLogger: no run on this rank>"


def trainer_settings(trainer: Any) -> dict[str, Any]:
    """Key settings of a Trainer, from its public attributes, as plain values; `seed` when
    `seed_everything()` ran (it sets PL_GLOBAL_SEED)."""
    settings: dict[str, Any] = {}
    for key, attribute in TRAINER_SETTINGS:
        try:
            value = getattr(trainer, attribute)
        except Exception:  # absent in this Lightning version, or not available yet
            continue
        settings[key] = _setting_value(value)
    seed = os.environ.get("PL_GLOBAL_SEED")
    if seed is not None:
        try:
            settings["seed"] = int(seed)
        except ValueError:
            settings["seed"] = seed
    return settings


def _setting_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (list, tuple)) and all(type(v) in (bool, int, float, str) for v in value):
        return list(value)
    return type(value).__name__  # a strategy, an accelerator: its class


def _trainer_of(model: Any) -> Any:
    try:
        return model.trainer  # raises RuntimeError when the module is not attached
    except (AttributeError, RuntimeError):
        return None


def _exit_code(status: str) -> int:
    if status in ("success", "finished"):
        return 0
    if status in ("interrupted", "aborted") or isinstance(sys.exc_info()[1], KeyboardInterrupt):
        return 130  # runcard has no public "crashed": a failed run with the SIGINT exit code
    return 1
