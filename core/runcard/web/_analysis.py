"""The importance panel's answer: `Api.importance` over a project's (filtered) runs, for the
metric asked, else the default one: the first numeric summary metric whose value varies."""

from __future__ import annotations

from typing import Any

import runcard
from runcard._compare import canonical, flatten_stored
from runcard.web._values import finite_number


def importance(
    api: runcard.Api,
    project: str | None,
    filters: dict[str, Any] | None,
    metric: str | None,
    keys: list[str],
) -> dict[str, Any]:
    if not project:
        raise runcard.UsageError("give project=ENTITY/PROJECT")
    metric = metric or default_metric(api, project, filters)
    if not metric:
        return {
            "metric": None,
            "runs": 0,
            "keys": [],
            "constant": [],
            "fixed_by_sweep": [],
            "message": "no numeric summary metric varies between these runs",
        }
    return api.importance(project, metric, filters, keys or None)


def default_metric(api: runcard.Api, project: str, filters: dict[str, Any] | None) -> str | None:
    """The first summary metric (in first-logged order) holding numbers that differ."""
    seen: dict[str, set[Any]] = {}
    for run in api.runs(project, filters, order="created_at", keys=["summary"]):
        for key, value in flatten_stored(run.summary).items():
            if finite_number(value) and not key.startswith("_"):
                seen.setdefault(key, set()).add(canonical(value))
    return next((f"summary.{k}" for k, values in seen.items() if len(values) > 1), None)
