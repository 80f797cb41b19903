"""`RuncardCallback`: a Keras 3 callback that records `fit` (and `evaluate`) in a runcard run."""

from __future__ import annotations

import atexit
import logging

import runcard
from runcard import integration
from runcard_keras import _capture

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import override
else:

    def override(method: Any) -> Any:
        return method


INSTALL_HINT = 'pip install "runcard[keras]"'

try:
    import keras
except ImportError as error:  # reported when a callback is constructed, never at import
    keras = None
    _KERAS_MISSING: str | None = f"{type(error).__name__}: {error}"
else:
    _KERAS_MISSING = None

_Callback: Any = keras.callbacks.Callback if keras is not None else object

logger = logging.getLogger("runcard.keras")


def _require_keras() -> None:
    if keras is None:
        raise ModuleNotFoundError(
            f"RuncardCallback needs Keras 3 and a backend: {INSTALL_HINT}, plus TensorFlow, or "
            f"torch / JAX with KERAS_BACKEND set (importing keras failed: {_KERAS_MISSING})"
        ) from None
    major = str(getattr(keras, "__version__", "0")).split(".")[0]
    if not major.isdigit() or int(major) < 3:
        raise ImportError(
            f"RuncardCallback needs Keras 3; keras {keras.__version__} is installed: {INSTALL_HINT}"
        ) from None


class RuncardCallback(_Callback):
    """Records a Keras `fit` in a runcard run.

    Which run: `run=` if given, else the active run (`runcard.run`), else a run the callback
    starts in `on_train_begin` with `init_kwargs` (`project=`, `name=`, `config=`, ...) and
    finishes in `on_train_end`. A run it did not start it leaves open. One instance can serve
    several `fit` calls: its per-fit state resets at each.

    Recorded in the config under `keras.*`, with provenance source "keras": `fit` (epochs,
    steps per epoch, the initial epoch, whether validation ran, and batch size or validation
    split where the callback params carry them: Keras 3 does not pass them to callbacks, so
    record them with `config=`), `optimizer` (`get_config()` and the class; a learning-rate
    schedule's config as `learning_rate_schedule`, with `learning_rate` the rate at the start
    of the fit), `loss`, `metrics`, `compile` settings, `model` (name, class, trainable and
    non-trainable parameter counts), and the Keras `version` and `backend`. A later fit on
    the same run records changed values as revisions, without a warning.

    Logged: each epoch's metrics (train and `val_*`) with the epoch as step, `learning_rate`
    at the first epoch of a fit and whenever it changes; with `log_every_n_batches=N`, the
    batch metrics every N batches as `batch.<metric>` with `batch.step` (batches done in this
    fit), in rows at the current epoch's step. `evaluate(..., callbacks=[callback])` outside a
    fit stores its results in the summary as `test_<metric>` (on the run of the last fit, else
    as for fit: the given, the active or a run of its own).

    Failures: Keras does not call `on_train_end` when `fit` raises, so a run the callback
    started stays open at that moment. It is then finished as failed by the first of: the
    uncaught exception ending the script (runcard's exit hook), the next `fit` / `evaluate`
    with this callback, or the interpreter's exit (an `atexit` hook the callback holds only
    while one of its runs is open). To have the run failed at the `except` itself, own the run:
    `with runcard.init(...) as run: model.fit(..., callbacks=[RuncardCallback()])`.

    Args:
        run: the run to record into; it is left open.
        log_every_n_batches: also log batch metrics every N training batches (this makes Keras
            call the callback after every batch, on the training thread).
        capture_model: record the model, optimizer, loss and metrics (the fit parameters and
            the Keras version and backend are always recorded).
        **init_kwargs: arguments of `runcard.init()` for a run the callback starts.

    Example:
        ```python
        model.fit(x, y, epochs=5, validation_split=0.2,
                  callbacks=[RuncardCallback(project="mnist", config={"batch_size": 64})])
        ```
    """

    def __init__(
        self,
        run: runcard.Run | None = None,
        log_every_n_batches: int | None = None,
        capture_model: bool = True,
        **init_kwargs: Any,
    ) -> None:
        _require_keras()
        if run is not None and init_kwargs:
            raise runcard.UsageError(
                f"RuncardCallback(run=..., {', '.join(f'{k}=...' for k in init_kwargs)}): the "
                "init arguments are for a run the callback starts; pass run= or them, not both"
            )
        if log_every_n_batches is not None and (
            isinstance(log_every_n_batches, bool)
            or not isinstance(log_every_n_batches, int)
            or log_every_n_batches < 1
        ):
            raise ValueError(
                f"RuncardCallback(log_every_n_batches={log_every_n_batches!r}): use a positive "
                "int, or None to log epochs only"
            )
        integration.check_init_arguments(init_kwargs, "RuncardCallback()")
        super().__init__()
        self._given_run = run
        self._every = log_every_n_batches
        self._capture_model = capture_model
        self._init_kwargs = init_kwargs
        self._run: runcard.Run | None = None  # the run of the current or last loop
        self._owned = False  # started by this callback: it finishes it
        self._closed = False  # an owned run that this callback finished
        self._loop: str | None = None  # "fit" or "evaluate" while one runs
        self._warned: set[str] = set()
        self._reset_fit_state()
        if log_every_n_batches is not None:
            # Keras dispatches batch hooks only to callbacks that override them (on some
            # backends from a thread pool otherwise): this callback overrides one only when
            # batch logging is asked for, so epoch-only logging costs nothing per batch.
            self.on_train_batch_end = self._log_batch

    def _reset_fit_state(self) -> None:
        self._epoch = 0
        self._epochs_done = 0
        self._validation: bool | None = None
        self._last_rate: float | None = None
        self._batches_before_epoch = 0
        self._batches_in_epoch = 0
        self._last_batch_log = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> RuncardCallback:
        """A copy (KerasTuner and sklearn-style wrappers clone callbacks) shares the runs and
        the model, which are not copied; a copy made during a loop records into that loop's
        run but never finishes it: the original does. Its next fit starts its own run, as
        any fit does."""
        import copy

        twin = type(self).__new__(type(self))
        memo[id(self)] = twin
        shared = {"_given_run", "_run", "_model", "model"}
        for key, value in self.__dict__.items():
            twin.__dict__[key] = value if key in shared else copy.deepcopy(value, memo)
        twin._owned = False
        return twin

    # -- the run ---------------------------------------------------------------------------
    @property
    def run(self) -> runcard.Run | None:
        """The run of the current or last `fit` / `evaluate` (None before the first)."""
        return self._run

    def _open_run(self, loop: str) -> runcard.Run:
        """Choose the run for a loop that begins: the given one, else the active one, else a
        new one this callback owns."""
        run, owned = integration.run_to_record(self._given_run, **self._init_kwargs)
        if owned:
            atexit.register(self._fail_open_loop)
        elif self._given_run is None and self._init_kwargs and "init_kwargs" not in self._warned:
            self._warned.add("init_kwargs")
            logger.warning(
                "runcard: RuncardCallback records into the active run %s; its init "
                "arguments (%s) are not used",
                run.path,
                ", ".join(self._init_kwargs),
            )
        self._run, self._owned, self._closed, self._loop = run, owned, False, loop
        return run

    def _end_loop(self, failed: bool) -> None:
        """End the current loop; a run this callback started is finished (failed or not)."""
        run, self._loop = self._run, None
        if self._owned and not self._closed and run is not None:
            atexit.unregister(self._fail_open_loop)
            self._closed = True
            integration.finish_run(run, exit_code=1 if failed else None)

    def _fail_open_loop(self) -> None:
        """At interpreter exit (before runcard's own hook, which would record "finished"): a
        loop still open here raised out of `fit` or `evaluate`."""
        if self._loop is not None:
            self._end_loop(failed=True)

    def _record(self, values: dict[str, Any]) -> None:
        if self._run is not None and values:
            self._run.config.update({"keras": values}, allow_val_change=True, source="keras")

    def _model_facts(self) -> dict[str, Any]:
        facts = _capture.framework()
        if self._capture_model:
            facts.update(_capture.model_facts(self.model))
        return facts

    # -- Keras hooks -----------------------------------------------------------------------
    @override
    def set_params(self, params: dict[str, Any]) -> None:
        # Keras sets the params when a top-level fit / evaluate / predict builds its callback
        # list (never for the validation inside fit): a loop still open here raised.
        if self._loop is not None:
            self._end_loop(failed=True)
        super().set_params(params)

    @override
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._loop is not None:  # a hand-made CallbackList that never set params
            self._end_loop(failed=True)
        self._reset_fit_state()
        self._open_run("fit")
        fit = _capture.fit_params(self.params)
        self._record({**self._model_facts(), **({"fit": fit} if fit else {})})

    @override
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    @override
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        run = self._run
        if run is None or self._loop != "fit":
            return
        row = _capture.scalars(logs, self._warned)
        if "learning_rate" in row:  # put there by LearningRateScheduler / ReduceLROnPlateau
            self._last_rate = row["learning_rate"]
        else:
            rate = _capture.learning_rate(self.model)
            if rate is not None and rate != self._last_rate:
                row["learning_rate"] = self._last_rate = rate
        validated = any(key.startswith("val_") for key in row)
        if self._epochs_done == 0:
            self._validation = validated
            self._record({"fit": {"initial_epoch": epoch, "validation": validated}})
        elif validated and not self._validation:  # validation_freq > 1: first seen now
            self._validation = True
            self._record({"fit": {"validation": True}})
        self._epochs_done += 1
        self._batches_before_epoch += self._batches_in_epoch
        self._batches_in_epoch = 0
        if row:
            run.log(row, step=epoch, commit=True)

    def _log_batch(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """`on_train_batch_end`, installed only with `log_every_n_batches`."""
        if self._run is None or self._loop != "fit":
            return
        self._batches_in_epoch = batch + 1
        done = self._batches_before_epoch + batch + 1
        every = self._every or 1
        if done // every > self._last_batch_log // every:
            self._last_batch_log = done
            row = _capture.scalars(logs, self._warned)
            self._run.log({"batch": {**row, "step": done}}, step=self._epoch, commit=True)

    @override
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._loop == "fit":
            self._end_loop(failed=False)

    @override
    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._loop == "fit":  # the validation inside fit: its metrics come as val_*
            return
        if self._loop is not None:
            self._end_loop(failed=True)
        if self._given_run is None and self._run is None and runcard.run is None:
            self._open_run("evaluate")
            self._record(self._model_facts())
        else:
            self._loop = "evaluate"

    @override
    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._loop != "evaluate":
            return
        results = {f"test_{k}": v for k, v in _capture.scalars(logs, self._warned).items()}
        run = self._given_run if self._given_run is not None else self._run
        if run is None:
            run = runcard.run
        if run is not None and results:
            if self._owned and self._closed and run is self._run:
                self._update_stored_summary(run, results)
            else:
                run.summary.update(integration.flatten(results))
        self._end_loop(failed=False)

    def _update_stored_summary(self, run: runcard.Run, values: dict[str, Any]) -> None:
        """The fit's run, finished by this callback: its stored summary is edited through the
        Api (recorded as an edit with source "api")."""
        try:
            integration.update_finished_summary(run, values)
        except runcard.RunNotFoundError as exc:
            logger.warning("runcard: evaluate() results not stored: %s", exc)
