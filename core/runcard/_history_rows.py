"""History rows as the Api returns them, from the store's chunks."""

from __future__ import annotations

import functools
from itertools import starmap

from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from runcard._store import Store


def check_keys(keys: Any) -> list[str] | None:
    """`keys` of a history read as a list: one string is one key, as in wandb."""
    if keys is None:
        return None
    if isinstance(keys, str):
        return [keys]
    if isinstance(keys, (list, tuple)) and all(isinstance(k, str) for k in keys):
        return list(keys)
    raise UsageError(f"history keys must be a key or a list of keys (strings), got {keys!r}")


class HistoryScan:
    """The rows of `ApiRun.scan_history()`: each iteration reads them from the store again."""

    def __init__(
        self,
        store: Store,
        pk: int,
        keys: list[str] | None,
        min_step: int | None,
        max_step: int | None,
    ) -> None:
        for name, bound in (("min_step", min_step), ("max_step", max_step)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                raise UsageError(f"scan_history({name}=...) must be an int, got {bound!r}")
        self._store = store
        self._pk = pk
        self._keys = keys
        self._min = min_step
        self._max = max_step

    def __iter__(self) -> Iterator[dict[str, Any]]:
        low, high = self._min, self._max
        for steps, times, columns in self._store.history(self._pk, self._keys):
            for row in chunk_rows(steps, times, columns, self._keys):
                step = row["_step"]
                if (low is None or step >= low) and (high is None or step < high):
                    yield row


def chunk_rows(
    steps: list[int],
    times: list[float],
    columns: dict[str, tuple[Any, list[Any]]],
    keys: list[str] | None,
) -> list[dict[str, Any]]:
    """The row dicts of one stored chunk; with `keys`, the rows holding all of them."""
    # keys present in every row build the rows in one pass; the others fill in after
    dense = [k for k, (positions, _) in columns.items() if isinstance(positions, range)]
    names = ("_step", "_timestamp", *dense)
    values = zip(steps, times, *(columns[k][1] for k in dense))  # noqa: B905
    rows: list[dict[str, Any]] = list(starmap(_row_builder(names), values))
    for key, (positions, column) in columns.items():
        if not isinstance(positions, range):
            for position, value in zip(positions, column, strict=True):
                rows[position][key] = value
    if keys is None:
        return rows
    wanted = ("_step", *keys)
    return [{k: row[k] for k in wanted} for row in rows if all(k in row for k in keys)]


@functools.lru_cache(maxsize=64)
def _row_builder(names: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """A function of len(names) values returning the row dict {names[i]: value i}.

    A dict display is built at its final size, where dict(zip(...)) grows as it goes: on a
    history read of 50k rows that is a quarter of the time. The names never enter the source
    text: they are bound as globals K0, K1, ... of the generated function."""
    if len(names) > 200:
        return lambda *values: dict(zip(names, values, strict=True))
    params = ", ".join(f"v{i}" for i in range(len(names)))
    items = ", ".join(f"K{i}: v{i}" for i in range(len(names)))
    namespace = {f"K{i}": name for i, name in enumerate(names)}
    return eval(f"lambda {params}: {{{items}}}", namespace)
