"""What a Run shows besides its own state: `run.config_static` (a read-only snapshot of the
config, as wandb's) and `run.url`."""

from __future__ import annotations

import os

from runcard import _settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import KeysView
    from typing import Any

    from runcard._run import Run


class ConfigStatic:
    """The config's values when read, by attribute or key; setting either raises."""

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"config_static has no key {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def keys(self) -> KeysView[str]:
        return self._values.keys()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("run.config_static is read-only: write to run.config")

    __setitem__ = __setattr__

    def __repr__(self) -> str:
        return repr(self._values)


def run_url(run: Run) -> str | None:
    """The run's page in the web app of the team server an online run is copied to."""
    server = os.environ.get(_settings.ENV_URL)
    if run.mode != "online" or not server:
        return None
    return f"{server.rstrip('/')}/#/run/{run.entity}/{run.project}/{run.id}"
