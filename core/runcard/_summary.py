"""A run's summary: the last logged value of each metric, unless the user sets one."""

from __future__ import annotations

from runcard._copies import same_object, summary_deepcopy, summary_reduce
from runcard._metrics import flatten, storable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


class Summary:
    """Dict-like. `summary["best_acc"] = 0.9` pins a value: later `log()` calls no longer move it."""

    __slots__ = ("_pinned", "_settle", "_sink", "_values")

    def __init__(self, sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._values: dict[str, Any] = {}
        self._pinned: set[str] = set()
        self._sink = sink
        # folds in what log() queued, so a read right after log() sees the logged value
        self._settle: Callable[[], None] = _nothing

    def __getitem__(self, key: str) -> Any:
        self._settle()
        return self._values[key]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self._settle()
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def get(self, key: str, default: Any = None) -> Any:
        self._settle()
        return self._values.get(key, default)

    def __contains__(self, key: object) -> bool:
        self._settle()
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        self._settle()
        return iter(list(self._values))

    def __len__(self) -> int:
        self._settle()
        return len(self._values)

    def keys(self) -> list[str]:
        self._settle()
        return list(self._values)

    def items(self) -> list[tuple[str, Any]]:
        self._settle()
        return list(self._values.items())

    def values(self) -> list[Any]:
        self._settle()
        return list(self._values.values())

    def as_dict(self) -> dict[str, Any]:
        self._settle()
        return dict(self._values)

    def __repr__(self) -> str:
        self._settle()
        return f"Summary({self._values!r})"

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: dict[str, Any]) -> None:
        self._settle()  # values logged before this write are folded in before the pin
        converted = {k: storable(k, v, "summary") for k, v in flatten(values, set()).items()}
        self._values.update(converted)
        self._pinned.update(converted)
        if self._sink is not None:
            self._sink(converted)

    def _load(self, values: dict[str, Any]) -> None:
        self._values.update(values)

    # copies: see runcard._copies
    __copy__ = same_object
    __deepcopy__ = summary_deepcopy
    __reduce__ = summary_reduce


def _nothing() -> None:
    pass
