"""runcard: a local-first experiment tracker with a wandb-compatible API.

import runcard as wandb

run = wandb.init(project="demo", config={"lr": 0.01, "model": {"depth": 4}})
wandb.config.epochs = 10            # recorded, with the file and line that set it
wandb.log({"loss": 0.3})
wandb.finish()

wandb.Api().run(run.path).config    # {"lr": 0.01, "model": {"depth": 4}, "epochs": 10}
"""

from __future__ import annotations

import sys

from runcard import _process, _state
from runcard._api import Api, ApiRun, Project
from runcard._config import SOURCES as CONFIG_SOURCES
from runcard._config import Config
from runcard._config_dict import ConfigDict
from runcard._errors import (
    ConfigError,
    ConfigFileError,
    Error,
    RunNotFoundError,
    StoreError,
    UsageError,
)
from runcard._proxies import config, summary
from runcard._run import Run
from runcard._session import define_metric, finish, init, log, setup
from runcard._summary import Summary
from runcard._sweep import agent, sweep
from runcard._warnings import ConfigWarning, MetricWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    run: Run | None

__version__ = "0.1.0"

# `--configs` leaves sys.argv now, before the script's own argparse runs (see runcard._process)
_process.process.take_configs_argument(sys.argv)

__all__ = [
    "Api",
    "ApiRun",
    "CONFIG_SOURCES",
    "Config",
    "ConfigDict",
    "ConfigError",
    "ConfigFileError",
    "ConfigWarning",
    "Error",
    "MetricWarning",
    "Project",
    "Run",
    "RunNotFoundError",
    "StoreError",
    "Summary",
    "UsageError",
    "__version__",
    "agent",
    "config",
    "define_metric",
    "finish",
    "init",
    "log",
    "run",
    "setup",
    "summary",
    "sweep",
]

for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) or (callable(_obj) and hasattr(_obj, "__module__")):
        try:
            _obj.__module__ = "runcard"
        except (AttributeError, TypeError):
            pass
del _name, _obj


def __getattr__(name: str) -> Any:
    if name == "run":  # the active run, or None: looked up on every access
        return _state.get_run()
    raise AttributeError(f"module 'runcard' has no attribute {name!r}")
