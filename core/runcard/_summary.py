"""A run's summary: the last logged value of each metric, unless the user sets one."""

from __future__ import annotations

from collections.abc import Mapping

from runcard._copies import same_object, summary_deepcopy, summary_reduce
from runcard._metrics import metric_value, storable
from runcard._store._base import REMOVED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


class Summary:
    """A mapping. `summary["best_acc"] = 0.9` (or `summary.best_acc = 0.9`) pins a value: later
    `log()` calls no longer move it. A dict set stays nested: `summary["val"]["acc"]`."""

    __slots__ = ("_forget", "_pinned", "_settle", "_sink", "_values")

    def __init__(self, sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._values: dict[str, Any] = {}
        self._pinned: set[str] = set()
        self._sink = sink
        # folds in what log() queued, so a read right after log() sees the logged value
        self._settle: Callable[[], None] = _nothing
        self._forget: Callable[[str], None] = _nothing_of  # drops a key's unwritten logged value

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

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.update({name: value})

    def __delitem__(self, key: str) -> None:
        self._settle()
        if key not in self._values:
            raise KeyError(key)
        if self._sink is not None:
            self._sink({key: REMOVED})
        self._forget(key)
        del self._values[key]
        self._pinned.discard(key)  # a later log() sets it again, as in wandb

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def update(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        self._settle()  # values logged before this write are folded in before the pin
        values = {**(values or {}), **more}
        for key in values:
            if not isinstance(key, str):
                raise TypeError(f"summary keys must be strings; got {key!r}")
        converted = {k: _value(k, v) for k, v in values.items()}
        if self._sink is not None:
            self._sink(converted)  # raises on a finished run: the object stays as it was
        self._values.update(converted)
        self._pinned.update(converted)

    def _load(self, values: dict[str, Any]) -> None:
        self._values.update(values)

    # copies: see runcard._copies
    __copy__ = same_object
    __deepcopy__ = summary_deepcopy
    __reduce__ = summary_reduce


Mapping.register(Summary)  # a mapping as wandb's is; its keys() and items() return lists


def _value(key: str, value: Any) -> Any:
    """A value as stored: dicts stay nested, their leaves converted as log() converts them."""
    if isinstance(value, Mapping):
        return {str(k): _value(f"{key}.{k}", v) for k, v in value.items()}
    return storable(key, metric_value(key, value, set()), "summary")


def _nothing() -> None:
    pass


def _nothing_of(_: str) -> None:
    pass
