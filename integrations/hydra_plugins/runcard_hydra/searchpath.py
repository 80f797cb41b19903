"""Makes the `hydra/callbacks: runcard` option visible to every Hydra app.

Hydra imports this module when it scans `hydra_plugins`, so it imports Hydra only: never
runcard nor the callback, which load when a config selects the option.
"""

from __future__ import annotations

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin


class RuncardSearchPathPlugin(SearchPathPlugin):
    """Appends `pkg://runcard_hydra.conf`, which holds `hydra/callbacks/runcard.yaml`."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        search_path.append(provider="runcard-hydra", path="pkg://runcard_hydra.conf")
