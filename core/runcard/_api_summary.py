"""The summary of a run read through the Api."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._api import ApiRun


class ApiSummary(dict):
    """A stored run's summary: a dict whose `update()` also stores the edits, as wandb's
    `run.summary[k] = v; run.summary.update()` does (see `ApiRun.update`)."""

    def __init__(self, run: ApiRun, values: dict[str, Any]) -> None:
        super().__init__(values)
        self._run = run

    @property
    def _json_dict(self) -> dict[str, Any]:
        """wandb's name for the plain values (its docs' export snippet reads it)."""
        return dict(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        run = self._run
        run.__dict__["summary"] = self  # the one edited, even if the run was updated since
        run.update()
        stored = run.summary  # as the store now holds it; this object stays the run's summary
        super().clear()
        super().update(stored)
        run.__dict__["summary"] = self
