"""MLflow runs as runs, read through MLflow's own client (extra `mlflow`).

Params become the config, typed back from MLflow's text where the text can mean one thing
only (`"0.01"` → 0.01, `"32"` → 32, `"True"` → true, `"None"` → null, a list or dict as MLflow
writes it), with the text kept as the value's detail; metrics become the history at their steps
with their timestamps; `mlflow.runName` is the name, `mlflow.note.content` the notes, the other
tags (`key=value`) the tags; a nested run's group is its top-level run's name.
"""

from __future__ import annotations

import ast
import json
import re

from runcard._errors import UsageError
from runcard._importing import SourceRun

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

PAGE = 1000
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_STATES = {
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "stopped",
    "RUNNING": "running",
    "SCHEDULED": "running",
}
_WORDS = {"True": True, "true": True, "False": False, "false": False, "None": None}


def read_runs(tracking_uri: str | None, experiment: str | None) -> Iterator[tuple[str, SourceRun]]:
    """(experiment name, run) for each run of `experiment` (of every experiment when None)."""
    client = _client(tracking_uri)
    experiments = [
        e for e in client.search_experiments() if experiment is None or e.name == experiment
    ]
    if experiment is not None and not experiments:
        known = ", ".join(sorted(e.name for e in client.search_experiments())) or "none"
        raise UsageError(f"MLflow has no experiment {experiment!r} (experiments: {known})")
    for found in experiments:
        runs = list(_all_runs(client, found.experiment_id))
        parent_of = {
            run.info.run_id: run.data.tags.get("mlflow.parentRunId")
            for run in runs
            if run.data.tags.get("mlflow.parentRunId")
        }
        names = {run.info.run_id: run.info.run_name for run in runs}
        for run in runs:
            group = _group(run.info.run_id, parent_of, names)
            yield found.name, _source_run(client, run, group)


def typed(text: str) -> Any:
    """A param's value: what its text can only mean, else the text itself."""
    if text in _WORDS:
        return _WORDS[text]
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if text[:1] in ("[", "{"):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(value, (list, dict)) and _plain(value):
                return value
    return text


def _plain(value: Any) -> bool:
    """JSON can hold it: lists, str-keyed dicts, text, numbers, bools, None."""
    if isinstance(value, list):
        return all(map(_plain, value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return value is None or isinstance(value, (str, int, float, bool))


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise UsageError(
            "importing MLflow runs needs mlflow: pip install 'runcard[mlflow]'"
        ) from None
    return MlflowClient(tracking_uri)


def _all_runs(client: Any, experiment_id: str) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=PAGE, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _group(run_id: str, parent_of: dict[str, str], names: dict[str, str]) -> str | None:
    """The name of the top-level run above a nested run, or of a run with nested runs."""
    if run_id not in parent_of and run_id not in parent_of.values():
        return None
    top, seen = run_id, {run_id}
    while top in parent_of and parent_of[top] not in seen:
        top = parent_of[top]
        seen.add(top)
    return names.get(top) or top


def _source_run(client: Any, run: Any, group: str | None) -> SourceRun:
    info, data = run.info, run.data
    tags = dict(data.tags)
    return SourceRun(
        tool="mlflow",
        source_id=info.run_id,
        name=info.run_name or tags.get("mlflow.runName") or info.run_id,
        created_at=info.start_time / 1000,
        finished_at=None if info.end_time is None else info.end_time / 1000,
        config={key: typed(text) for key, text in data.params.items()},
        config_details=dict(data.params),
        rows=_rows(client, info.run_id, list(data.metrics)),
        summary=dict(data.metrics),
        tags=[
            f"{k}={v}" if v else k for k, v in sorted(tags.items()) if not k.startswith("mlflow.")
        ],
        notes=tags.get("mlflow.note.content"),
        group=group,
        state=_STATES.get(info.status, "finished"),
        host={"mlflow": {k: v for k, v in tags.items() if k.startswith("mlflow.")}},
    )


def _rows(client: Any, run_id: str, keys: list[str]) -> list[tuple[int, float, dict[str, Any]]]:
    """The metrics as rows: values of one step share a row, unless a key comes twice in a step
    (metrics logged without a step are all at step 0): then each time is a row of its own."""
    points = sorted(
        (m.step, m.timestamp, key, m.value)
        for key in keys
        for m in client.get_metric_history(run_id, key)
    )
    rows: list[tuple[int, float, dict[str, Any]]] = []
    for step, stamp, key, value in points:
        if not rows or rows[-1][0] != step or key in rows[-1][2]:
            rows.append((step, stamp / 1000, {}))
        rows[-1][2][key] = value
    return rows
