"""Sweeps kept by a `runcard server` (agents with RUNCARD_URL set): the sweep methods of the
store, asked of the server, which claims each suggestion in its database's transaction."""

from __future__ import annotations

from runcard._errors import ServerError, UsageError
from runcard._store._http import RemoteStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class RemoteSweeps(RemoteStore):
    """`Store`'s sweep methods (and its reads, for hyperband) over a server."""

    def _sweeps(self, method: str, **args: Any) -> Any:
        try:
            return self.client.call(f"/sweeps/{method}", args)
        except ServerError as exc:
            if exc.status == 400:  # the server's UsageError: a bad spec, an unknown sweep
                raise UsageError(str(exc).partition(": HTTP 400: ")[2] or str(exc)) from None
            raise

    def create_sweep(self, sweep: dict[str, Any]) -> None:
        self._sweeps("create", sweep=sweep)

    def find_sweep(self, sweep_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._sweeps("find", sweep_id=sweep_id)
        return found

    def list_sweeps(self, project: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._sweeps("list", project=project)
        return found

    def set_sweep_state(self, sweep_id: str, state: str) -> None:
        self._sweeps("state", sweep_id=sweep_id, state=state)

    def claim_sweep_run(
        self, sweep_id: str, run_id: str, agent: str, suggest: Any = None
    ) -> dict[str, Any] | None:
        """Claim on the server (which makes the suggestion: `suggest` is not sent)."""
        claim: dict[str, Any] | None = self._sweeps(
            "claim", sweep_id=sweep_id, run_id=run_id, agent=agent
        )
        return claim

    def finish_run(self, pk: int, state: str, exit_code: int | None) -> None:
        """A server's runs are pushed by their own process: the agent leaves them as pushed."""
