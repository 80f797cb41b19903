"""The search-path plugin is found by Hydra and makes `hydra/callbacks=runcard` available."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hydra import compose, initialize
from hydra.core.global_hydra import GlobalHydra
from hydra.core.plugins import Plugins
from hydra.plugins.search_path_plugin import SearchPathPlugin

from hydra_plugins.runcard_hydra.searchpath import RuncardSearchPathPlugin


def test_discovery() -> None:
    found = Plugins.instance().discover(SearchPathPlugin)
    assert RuncardSearchPathPlugin.__name__ in [p.__name__ for p in found]


def test_config_installed() -> None:
    with initialize(version_base=None):
        loader = GlobalHydra.instance().config_loader()
        assert "runcard_hydra.conf" in [s.path for s in loader.get_sources()]
        assert "runcard" in loader.get_group_options("hydra/callbacks")
        cfg = compose(overrides=["hydra/callbacks=runcard"], return_hydra_config=True)
    runcard_cfg = cfg.hydra.callbacks.runcard
    assert runcard_cfg._target_ == "runcard_hydra.RuncardCallback"
    assert {"project", "name", "tags", "mode", "group"} <= set(runcard_cfg)


def test_plus_form_is_refused_but_override_form_works() -> None:
    """Hydra's own defaults hold `hydra/callbacks: null`: the README's one line is the
    `override` form; `+hydra/callbacks=runcard` fails (documented, not ours to change)."""
    with initialize(version_base=None), pytest.raises(Exception, match="Multiple values"):
        compose(overrides=["+hydra/callbacks=runcard"], return_hydra_config=True)


def test_plugin_module_imports_only_hydra() -> None:
    """Hydra imports every plugin module when it scans: the plugin must stay light."""
    code = textwrap.dedent(
        """
        import sys
        import hydra_plugins.runcard_hydra.searchpath
        heavy = [m for m in ("runcard", "runcard_hydra") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_runcard_import_does_not_import_hydra() -> None:
    code = "import sys, runcard; assert not {'hydra', 'omegaconf'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
