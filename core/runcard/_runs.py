"""What `Api.runs()` answers: a list of runs that can also become a pandas DataFrame."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._api import ApiRun


class Runs(list["ApiRun"]):
    """The runs found, newest first (or in the order asked for): a list, plus `to_pandas()`."""

    def to_pandas(self) -> Any:
        """One row per run: the run fields (`id`, `name`, `group`, `state`, `tags`, `created_at`,
        ...), then `config.<key>` and `summary.<key>` columns (nested keys dotted), each column
        typed by what its values share (see `runcard export`). Needs pandas."""
        from runcard._export import runs_frame

        return runs_frame(self)
