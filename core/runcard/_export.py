"""Runs out of runcard: one flat row per run (`config.*`, `summary.*` and the run fields), and
the history as a long table (run id, step, time, key, value), for pandas, Parquet, CSV and JSONL.

CSV and JSONL need nothing beyond Python; pandas frames and Parquet files need the `export`
extra (pandas, pyarrow). Column types are kept: a column of ints stays integer (nullable where a
run lacks the key), bools stay bools, times are UTC timestamps; values no single type fits (a
list, a dict, text beside numbers) are written as JSON text.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from runcard._compare import flatten_stored
from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from runcard._api import ApiRun

RUN_FIELDS = (
    "id",
    "entity",
    "project",
    "name",
    "group",
    "job_type",
    "state",
    "tags",
    "notes",
    "created_at",
    "finished_at",
    "exit_code",
)
TIME_FIELDS = ("created_at", "finished_at")
HISTORY_COLUMNS = ("run_id", "step", "time", "key", "value")
FORMATS = (".parquet", ".csv", ".jsonl")
# history rows per Parquet row group: the history is streamed, never held whole
HISTORY_BATCH = 65_536


def run_record(run: ApiRun) -> dict[str, Any]:
    """One run as a flat row: the run fields, then `config.<dotted>` and `summary.<dotted>`."""
    row: dict[str, Any] = {field: getattr(run, field) for field in RUN_FIELDS}
    for prefix, document in (("config.", run.config), ("summary.", run.summary)):
        row.update(flatten_stored(document, prefix))
    return row


def history_records(run: ApiRun) -> Iterator[tuple[str, int, float, str, Any]]:
    """(run id, step, unix time, key, value) for every value the run logged, in logged order."""
    for row in run.scan_history():
        step, time = row.pop("_step"), row.pop("_timestamp", None)
        for key, value in row.items():
            yield run.id, step, time, key, value


def runs_frame(runs: Iterable[ApiRun]) -> Any:
    """A pandas DataFrame of `run_record`s, one column type per column (see the module doc)."""
    pd = _require("pandas", "pandas")
    rows = [run_record(run) for run in runs]
    names = dict.fromkeys([*RUN_FIELDS, *(key for row in rows for key in row)])
    return pd.DataFrame({key: _series(pd, key, [row.get(key) for row in rows]) for key in names})


def write_runs(runs: Iterable[ApiRun], path: Path) -> int:
    """Write the runs table to `path` (.parquet, .csv or .jsonl); returns the number of runs."""
    suffix = _format_of(path)
    if suffix == ".parquet":
        frame = runs_frame(runs)
        _require("pyarrow", "pyarrow")
        frame.to_parquet(path, index=False)
        return len(frame)
    rows = [run_record(run) for run in runs]
    with path.open("w", newline="", encoding="utf-8") as out:
        if suffix == ".jsonl":
            for row in rows:
                out.write(json.dumps(row, default=str, allow_nan=True) + "\n")
        else:
            names = list(dict.fromkeys(key for row in rows for key in row))
            writer = csv.writer(out)
            writer.writerow(names)
            for row in rows:
                writer.writerow([_csv_cell(row[name]) if name in row else "" for name in names])
    return len(rows)


def write_history(runs: Iterable[ApiRun], path: Path) -> int:
    """Write every run's history, long format, to `path`; returns the number of values."""
    suffix = _format_of(path)
    records = (record for run in runs for record in history_records(run))
    if suffix == ".parquet":
        return _history_parquet(records, path)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out) if suffix == ".csv" else None
        if writer is not None:
            writer.writerow(HISTORY_COLUMNS)
        for record in records:
            count += 1
            if writer is not None:
                writer.writerow([*record[:4], _csv_cell(record[4])])
            else:
                out.write(
                    json.dumps(dict(zip(HISTORY_COLUMNS, record, strict=True)), default=str) + "\n"
                )
    return count


def history_path(path: Path) -> Path:
    """Where `--history` goes beside the runs table: runs.parquet → runs.history.parquet."""
    return path.with_name(f"{path.stem}.history{path.suffix}")


def _history_parquet(records: Iterator[tuple[str, int, float, str, Any]], path: Path) -> int:
    """Numbers in `value` (float64), anything else as JSON text in `value_text`."""
    pa = _require("pyarrow", "pyarrow")
    parquet = _require("pyarrow.parquet", "pyarrow")
    schema = pa.schema(
        [
            ("run_id", pa.string()),
            ("step", pa.int64()),
            ("time", pa.timestamp("us", tz="UTC")),
            ("key", pa.string()),
            ("value", pa.float64()),
            ("value_text", pa.string()),
        ]
    )
    count = 0
    with parquet.ParquetWriter(path, schema) as writer:
        batch: list[tuple[Any, ...]] = []
        for run_id, step, time, key, value in records:
            number = _number(value)
            text = None if number is not None or value is None else json.dumps(value)
            stamp = None if time is None else int(time * 1_000_000)
            batch.append((run_id, step, stamp, key, number, text))
            if len(batch) == HISTORY_BATCH:
                writer.write_table(_history_table(pa, schema, batch))
                count += len(batch)
                batch = []
        if batch or not count:
            writer.write_table(_history_table(pa, schema, batch))
            count += len(batch)
    return count


def _history_table(pa: Any, schema: Any, batch: list[tuple[Any, ...]]) -> Any:
    columns: list[Any] = list(zip(*batch, strict=True)) if batch else [()] * len(schema.names)
    arrays = [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)]
    return pa.table(arrays, schema=schema)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an int past float's range stays exact, as text
        return None


def _series(pd: Any, key: str, values: list[Any]) -> Any:
    """The column of one key, typed by what its values have in common."""
    if key in TIME_FIELDS:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    missing = len(present) < len(values)
    if kinds == {bool}:
        return pd.array(values, dtype="boolean") if missing else pd.array(values, dtype=bool)
    if kinds == {int} and all(-(2**63) <= v < 2**63 for v in present):
        return pd.array(values, dtype="Int64") if missing else pd.array(values, dtype="int64")
    if kinds and kinds <= {int, float} and all(_number(v) is not None for v in present):
        return pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
    if kinds == {str}:
        return pd.array(values, dtype="string")
    if key == "tags":  # a list per run
        return pd.Series(values, dtype=object)
    return pd.array(
        [None if v is None else json.dumps(v, default=str) for v in values], dtype="string"
    )


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot export to {str(path)!r}: name a {', '.join(FORMATS)} file")
    return suffix


def _require(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"this export needs {package}: pip install 'runcard[export]'") from None
