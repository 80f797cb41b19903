"""The `--agg` option: which aggregates of `_compare.aggregate` a grouped table shows."""

from __future__ import annotations

from runcard._compare import AGGREGATES

DEFAULT_AGGREGATES = ("mean", "std", "ci")


def parse_aggregates(text: str) -> tuple[str, ...]:
    """`mean,std,count` -> the names, checked; `ci95` is accepted for `ci`."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    names = ["ci" if n in ("ci95", "95ci") else n for n in names]
    unknown = [n for n in names if n not in AGGREGATES]
    if unknown or not names:
        raise ValueError(
            f"unknown aggregate {', '.join(map(repr, unknown)) or repr(text)}: "
            f"use a comma-separated list of {', '.join(AGGREGATES)}"
        )
    return tuple(dict.fromkeys(names))
