"""`runcard.config` and `runcard.summary`: stable objects that act on the current run's."""

from __future__ import annotations

from runcard import _state
from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def _target(what: str) -> Any:
    run = _state.get_run()
    if run is None:
        raise UsageError(f"call runcard.init() before using runcard.{what}")
    return getattr(run, what)


class _Proxy:
    __slots__ = ("_what",)

    def __init__(self, what: str) -> None:
        object.__setattr__(self, "_what", what)

    def __getattr__(self, name: str) -> Any:
        return getattr(_target(self._what), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_target(self._what), name, value)

    def __getitem__(self, key: str) -> Any:
        return _target(self._what)[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _target(self._what)[key] = value

    def __contains__(self, key: object) -> bool:
        return key in _target(self._what)

    def __iter__(self) -> Iterator[str]:
        return iter(_target(self._what))

    def __len__(self) -> int:
        return len(_target(self._what))

    def __eq__(self, other: object) -> bool:
        return bool(_target(self._what) == other)

    __hash__ = None  # type: ignore[assignment]

    # copies: the proxy is one module-level object; a deep copy is the current run's (a
    # detached snapshot, see runcard._copies), or the proxy itself before any run
    def __copy__(self) -> _Proxy:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        import copy

        run = _state.get_run()
        return self if run is None else copy.deepcopy(getattr(run, self._what), memo)

    def __reduce__(self) -> str:
        return self._what  # pickled by reference: runcard._proxies.config / .summary

    def __repr__(self) -> str:
        run = _state.get_run()
        return (
            repr(getattr(run, self._what)) if run is not None else f"<runcard.{self._what}: no run>"
        )


config: Any = _Proxy("config")
summary: Any = _Proxy("summary")
