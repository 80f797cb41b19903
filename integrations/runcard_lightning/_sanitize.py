"""Hyperparameters and metrics made storable the way Lightning's own loggers make them."""

from __future__ import annotations

import logging
from argparse import Namespace
from typing import Any

logger = logging.getLogger("runcard.lightning")


def hparams(params: Any) -> Any:
    """`params` with every dict key a string (`{1: "a"}` -> `{"1": "a"}`, with a warning naming
    the keys, as Lightning's loggers stringify them) and complex numbers as their text
    ("(7+2j)", as Lightning's `_sanitize_params` stores them). A Namespace is read as a dict;
    other containers (a dataclass, an OmegaConf config) are left to runcard's conversion."""
    if isinstance(params, Namespace):
        params = vars(params)
    changed: list[str] = []
    clean = _clean(params, "", changed)
    if changed:
        logger.warning(
            "runcard: hyperparameter keys %s are not strings; recorded as their text",
            ", ".join(changed),
        )
    return clean


def _clean(value: Any, where: str, changed: list[str]) -> Any:
    if isinstance(value, complex):
        return str(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                changed.append(repr(f"{where}{key!r}"))
                key = str(key)
            out[key] = _clean(item, f"{where}{key}.", changed)
        return out
    if isinstance(value, (list, tuple)):
        return [_clean(item, where, changed) for item in value]
    return value


def metric(value: Any) -> Any:
    """A complex metric as its text, "(7+2j)"; anything else as it is."""
    return str(value) if isinstance(value, complex) else value
