"""The public surface: what `import runcard` loads and what it exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import runcard

HEAVY = [
    "numpy",
    "torch",
    "tensorflow",
    "keras",
    "lightning",
    "pytorch_lightning",
    "hydra",
    "omegaconf",
    "absl",
    "pandas",
    "yaml",
    "http.server",
    "urllib.request",
    "flask",
    "fastapi",
    "rich",
    "psycopg",
]


def test_import_runcard_loads_no_framework_numpy_yaml_web_or_database_module() -> None:
    code = (
        "import sys, json; import runcard; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_a_local_run_loads_nothing_of_the_server_client_or_openssl(tmp_path: Path) -> None:
    code = (
        "import sys, json; import runcard; run = runcard.init(project='p'); run.log({'a': 1}); "
        "run.finish(); "
        "print(json.dumps([m for m in ['hashlib', 'urllib.request', 'runcard._sync', "
        "'runcard._store._http', *" + repr(HEAVY) + "] if m in sys.modules]))"
    )
    env = {**os.environ, "RUNCARD_DIR": str(tmp_path / "local")}  # a local store, always
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(out.stdout) == []


def test_all_is_sorted_complete_and_each_name_resolves() -> None:
    assert runcard.__all__ == sorted(runcard.__all__)
    # a submodule that another test imported (runcard.web, with the CLI) is an attribute too
    public = {
        name
        for name in dir(runcard)
        if not name.startswith("_") and not isinstance(getattr(runcard, name), types.ModuleType)
    }
    public.add("run")  # resolved on access: the active run
    assert set(runcard.__all__) - {"__version__"} == public - {"annotations", "TYPE_CHECKING"}
    for name in runcard.__all__:
        getattr(runcard, name)


def test_every_exception_is_a_runcard_error() -> None:
    for error in (
        runcard.ConfigError,
        runcard.ConfigFileError,
        runcard.RunNotFoundError,
        runcard.StoreError,
        runcard.UsageError,
    ):
        assert issubclass(error, runcard.Error)
    assert issubclass(runcard.RunNotFoundError, ValueError)


def test_the_integration_module_exports_each_documented_function_it_defines() -> None:
    from runcard import integration

    assert integration.__all__ == sorted(integration.__all__)
    defined = {
        name
        for name, value in vars(integration).items()
        if isinstance(value, types.FunctionType)
        and value.__module__ == integration.__name__
        and not name.startswith("_")
    }
    assert set(integration.__all__) == defined
    for name in integration.__all__:
        assert getattr(integration, name).__doc__


def test_import_runcard_integration_loads_no_framework_numpy_yaml_web_or_database_module() -> None:
    code = (
        "import sys, json; import runcard.integration; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
