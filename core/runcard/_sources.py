"""Config files: `config-defaults.yaml` beside the script, `--configs`, RUNCARD_CONFIG_PATHS.

PyYAML is imported only when a file is actually read, so `import runcard` stays light. Every
file goes through `_yaml.load`, which bounds what a file may expand to.
"""

from __future__ import annotations

import os
import sys

from runcard._errors import ConfigFileError
from runcard._settings import ENV_CONFIG_PATHS
from runcard._yaml import MAX_FILE_BYTES
from runcard._yaml import load as load_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULTS_FILENAME = "config-defaults.yaml"
_IGNORED_KEYS = ("wandb_version", "_wandb")


def pop_configs_argument(argv: list[str]) -> list[str] | None:
    """Remove `--configs a.yaml,b.yaml` / `--configs=...` from `argv` (in place) so the script's
    own argument parser never sees it; return the paths, or None when it is absent."""
    found: list[str] | None = None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            break
        if arg == "--configs":
            if i + 1 >= len(argv):
                raise ConfigFileError(
                    "--configs", "the flag needs a value: --configs a.yaml[,b.yaml]"
                )
            found = _split(argv[i + 1])
            del argv[i : i + 2]
            continue
        if arg.startswith("--configs="):
            found = _split(arg[len("--configs=") :])
            del argv[i]
            continue
        i += 1
    return found


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def file_sources(
    argv_paths: list[str] | None,
) -> list[tuple[str, str, dict[str, Any], dict[str, str]]]:
    """(source, file, values, descriptions) for each config file of this process, lowest
    precedence first: the `--configs` / RUNCARD_CONFIG_PATHS files, else config-defaults.yaml."""
    paths = argv_paths
    if paths is None and os.environ.get(ENV_CONFIG_PATHS):
        paths = _split(os.environ[ENV_CONFIG_PATHS])
    if paths:
        return [("configs-file", p, *read_config_file(p)) for p in paths]
    defaults = os.path.join(script_dir(), DEFAULTS_FILENAME)
    if os.path.isfile(defaults):
        return [("defaults-file", defaults, *read_config_file(defaults))]
    return []


# A relative sys.argv[0] is relative to where the program started, which is not the working
# directory any more once a framework has changed it (Hydra's job.chdir).
_START_DIR = os.getcwd()


def script_dir() -> str:
    """The directory of the script being run; the working directory in notebooks and `-c`."""
    program = sys.argv[0] if sys.argv else ""
    if program:
        path = os.path.join(_START_DIR, program)
        if os.path.isfile(path):
            return os.path.dirname(os.path.abspath(path))
    return os.getcwd()


def read_config_file(path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, descriptions) of a YAML config file, in either the plain `key: value` form or
    wandb's `key: {desc: ..., value: ...}` form."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # never more: the path may name /dev/zero
    except FileNotFoundError:
        raise ConfigFileError(path, "the file does not exist") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot be read ({exc.strerror})") from None
    data = load_yaml(raw, path)
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigFileError(
            path, f"the top level must be a mapping of keys to values, not a {type(data).__name__}"
        )
    values: dict[str, Any] = {}
    descriptions: dict[str, str] = {}
    for key, entry in data.items():
        if key in _IGNORED_KEYS:
            continue
        if not isinstance(key, str):
            raise ConfigFileError(
                path, f"key {key!r} is not a string", line=_line_of(raw.decode(), key)
            )
        if isinstance(entry, dict) and "value" in entry and set(entry) <= {"value", "desc"}:
            values[key] = entry["value"]
            if entry.get("desc") is not None:
                descriptions[key] = str(entry["desc"])
        else:
            values[key] = entry
    return values, descriptions


def _line_of(text: str, key: object) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None
