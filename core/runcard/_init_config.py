"""The config an `init()` starts with, in order of precedence: the config files
(`config-defaults.yaml`, `--configs`, RUNCARD_CONFIG_PATHS), then `init(config=)`, each filtered
by `config_include_keys` / `config_exclude_keys`; and those writes replayed onto a resumed run."""

from __future__ import annotations

import os

from runcard._config import Config, key_path
from runcard._inputs import sourced
from runcard._process import process
from runcard._sources import file_sources, read_config_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


def apply_init_config(
    config: Config,
    value: Any,
    include: Iterable[str] | None,
    exclude: Iterable[str] | None,
    files: bool = True,
    allow_val_change: bool | None = True,
) -> None:
    """Write the config sources in precedence order: files, then init(config=), then filters.
    A new run takes them silently (allow_val_change=True); a run joined with
    reinit="return_previous" takes only init(config=), under its own policy."""
    groups: list[tuple[str, str | None, dict[Any, Any], dict[str, str]]] = []
    if files:
        if process.argv_config_error is not None:
            raise process.argv_config_error
        groups.extend(file_sources(process.argv_config_paths))
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        groups.append(("init", path, *read_config_file(path)))
    elif value is not None:
        groups.extend(sourced(value, "init"))
    keep = set(include) if include is not None else None
    drop = set(exclude) if exclude is not None else set()
    for source, detail, values, descriptions in groups:
        chosen = {k: v for k, v in values.items() if (keep is None or k in keep) and k not in drop}
        config._write(chosen, source, detail=detail, allow_val_change=allow_val_change)
        config._descriptions.update({k: d for k, d in descriptions.items() if k in chosen})


def replay(config: Config, revisions: list[Any], descriptions: dict[str, str]) -> None:
    """Apply init-time revisions to a resumed run's config: unchanged values record nothing."""
    for key, value, source, detail, _step, _time in revisions:
        path = key_path(key)
        nested: Any = value
        for part in reversed(path[1:]):
            nested = {part: nested}
        config._write({path[0]: nested}, source, detail=detail, allow_val_change=True)
    config._descriptions.update(descriptions)
