"""TensorBoard logdirs as runs, read with TensorBoard's own event file reader (extra
`tensorboard`).

A run is what TensorBoard lists as one: a folder holding event files, named by its path under
the logdir. Scalars (written as `simple_value`, as torch's SummaryWriter does, or as scalar
tensors, as TensorFlow 2 and Keras do) become the history at their step, with their wall time;
the last value of each is in the summary. The HParams plugin's hyperparameters become the config
and its metrics the summary; the folder `SummaryWriter.add_hparams` writes them to (a child of
the run's folder holding only the hparams session) is folded into its parent run. Other plugins'
data (images, histograms, text) is not imported.
"""

from __future__ import annotations

import os
from pathlib import Path

from runcard._errors import UsageError
from runcard._importing import SourceRun

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

EVENT_FILES = "events.out.tfevents.*"
HPARAMS = "hparams"
# a TFRecord: its length (8 bytes) and that length's CRC (4), the data, the data's CRC (4)
RECORD_FRAMING = 16
# session_end_info's status (tensorboard/plugins/hparams/api.proto) as a run state
_END_STATES = {1: "finished", 2: "failed", 3: "failed", 4: "running"}


class _Folder:
    """What one run folder's event files hold."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[float, dict[str, Any]]] = {}
        self.config: dict[str, Any] = {}
        self.metrics: dict[str, Any] = {}  # an hparams session's metrics, folded in
        self.details: dict[str, str] = {}
        self.hparams_session = False
        self.state: str | None = None
        self.first: float | None = None
        self.last: float | None = None


def read_runs(logdir: Path, problems: list[str]) -> Iterator[SourceRun]:
    """The runs under `logdir`; an event file that cannot be read is named in `problems` and
    skipped (what was read of it before the fault is kept)."""
    if not logdir.is_dir():
        raise UsageError(f"TensorBoard logdir {str(logdir)!r} is not a folder")
    loader = _loader()
    folders: dict[Path, _Folder] = {}
    for path in sorted(logdir.rglob(EVENT_FILES)):
        folder = folders.setdefault(path.parent, _Folder())
        try:
            _read_file(loader(str(path)), folder)
        except Exception as exc:  # a corrupt or truncated file: report it, import the rest
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
    for path in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        folder = folders[path]
        parent = folders.get(path.parent)
        if folder.hparams_session and parent is not None and path != logdir:
            _fold_into(parent, folder)
            del folders[path]
    for path, folder in sorted(folders.items()):
        if folder.first is None:
            continue
        relative = path.relative_to(logdir).as_posix()
        yield _source_run(logdir, relative, folder)


def _loader() -> Any:
    try:
        from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
        from tensorboard.compat.proto.event_pb2 import Event
    except ImportError:
        raise UsageError(
            "importing TensorBoard logs needs tensorboard: pip install 'runcard[tensorboard]'"
        ) from None

    def events(path: str) -> Iterator[Any]:
        """The file's events; ValueError once a record cannot be read. (TensorBoard's loader
        stops quietly at a damaged record, taking it for one still being written: every
        record's bytes are counted to tell.)"""
        size, read, count = os.path.getsize(path), 0, 0
        for record in RawEventFileLoader(path).Load():
            read += len(record) + RECORD_FRAMING
            count += 1
            yield Event.FromString(record)
        if read != size:
            raise ValueError(
                f"damaged or truncated after {count} events (byte {read:,} of {size:,})"
            )

    return events


def _read_file(events: Iterator[Any], folder: _Folder) -> None:
    from tensorboard.util import tensor_util

    for event in events:
        time = event.wall_time
        folder.first = time if folder.first is None else min(folder.first, time)
        folder.last = time if folder.last is None else max(folder.last, time)
        if not event.HasField("summary"):
            continue
        for value in event.summary.value:
            plugin = value.metadata.plugin_data.plugin_name
            if plugin == HPARAMS:
                _read_hparams(value.metadata.plugin_data.content, folder)
                continue
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number: Any = value.simple_value
            elif (
                kind == "tensor" and plugin in ("scalars", "") and not value.tensor.tensor_shape.dim
            ):
                number = tensor_util.make_ndarray(value.tensor).item()
            else:
                continue
            _, values = folder.rows.setdefault(event.step, (time, {}))
            values[value.tag] = number


def _read_hparams(content: bytes, folder: _Folder) -> None:
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    kind = data.WhichOneof("data")
    if kind == "session_start_info":
        folder.hparams_session = True
        for name, value in data.session_start_info.hparams.items():
            folder.config[name], detail = _hparam(value)
            if detail is not None:
                folder.details[name] = detail
    elif kind == "session_end_info":
        folder.state = _END_STATES.get(data.session_end_info.status)


def _hparam(value: Any) -> tuple[Any, str | None]:
    """An hparam's value, and TensorBoard's own form of it where it was converted: TensorBoard
    holds every number as a double, so a whole number becomes an int (a batch size, a depth)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and abs(number) < 2**53:
            return int(number), repr(number)
        return number, None
    if kind == "bool_value":
        return value.bool_value, None
    if kind == "string_value":
        return value.string_value, None
    return None, None


def _fold_into(parent: _Folder, session: _Folder) -> None:
    """The hparams session `add_hparams` wrote beside a run: its config and metrics are the
    run's."""
    parent.config.update(session.config)
    parent.details.update(session.details)
    parent.hparams_session = parent.hparams_session or bool(session.config)
    parent.state = session.state or parent.state
    metrics: dict[str, Any] = {}
    for _, values in (session.rows[step] for step in sorted(session.rows)):
        metrics.update(values)
    parent.metrics.update(metrics)


def _source_run(logdir: Path, relative: str, folder: _Folder) -> SourceRun:
    steps = sorted(folder.rows)
    rows = [(step, *folder.rows[step]) for step in steps]
    summary: dict[str, Any] = {}
    for _, _, values in rows:
        summary.update(values)
    summary.update(folder.metrics)
    name = logdir.resolve().name if relative == "." else relative
    return SourceRun(
        tool="tensorboard",
        source_id=relative,
        name=name,
        created_at=folder.first or 0.0,
        finished_at=folder.last,
        config=folder.config,
        config_details=folder.details,
        rows=rows,
        summary=summary,
        state=folder.state or "finished",
        host={"logdir": str(logdir.resolve())},
    )
