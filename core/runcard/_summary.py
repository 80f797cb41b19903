"""A run's summary: the last logged value of each metric, unless the user sets one."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


class Summary:
    """Dict-like. `summary["best_acc"] = 0.9` pins a value: later `log()` calls no longer move it."""

    __slots__ = ("_pinned", "_sink", "_values")

    def __init__(self, sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._values: dict[str, Any] = {}
        self._pinned: set[str] = set()
        self._sink = sink

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._values)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._values.items())

    def values(self) -> list[Any]:
        return list(self._values.values())

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Summary({self._values!r})"

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: dict[str, Any]) -> None:
        from runcard._metrics import metric_value

        converted = {str(k): metric_value(k, v) for k, v in values.items()}
        self._values.update(converted)
        self._pinned.update(converted)
        if self._sink is not None:
            self._sink(converted)

    def _logged(self, row: dict[str, Any]) -> None:
        """A committed history row moves the keys the user has not pinned."""
        if self._pinned:
            row = {k: v for k, v in row.items() if k not in self._pinned}
        self._values.update(row)

    def _load(self, values: dict[str, Any]) -> None:
        self._values.update(values)
