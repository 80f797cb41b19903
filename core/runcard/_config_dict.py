"""The nested values of a run config: real dicts that also allow attribute reads
(`config.model.depth`), and whose writes go back through the `Config` that owns them, so they
are recorded too."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._config import Config


class ConfigDict(dict):
    """A nested config value: a real `dict` that also allows attribute reads (`c.model.depth`).

    Item and attribute writes go back through the owning Config, so they are recorded too.
    """

    __slots__ = ("_owner", "_path")

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"config value {'.'.join(self._path)!r} has no key {name!r}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ConfigDict.__slots__:
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        self._owner._write({str(key): value}, "code", prefix=self._path)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._owner._write(dict(*args, **kwargs), "code", prefix=self._path)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"config value {'.'.join(self._path)!r}: keys cannot be removed from a run config"
        )

    __delitem__ = pop = popitem = clear = __delattr__ = _refuse

    def __reduce__(self) -> Any:  # copies and pickles are plain dicts
        return (dict, (plain(self),))

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return plain(self)


def plain(value: Any) -> Any:
    """A copy of a config value made of plain dicts and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def wrap(value: dict[str, Any], owner: Config, path: tuple[str, ...]) -> ConfigDict:
    wrapped = ConfigDict()
    object.__setattr__(wrapped, "_owner", owner)
    object.__setattr__(wrapped, "_path", path)
    for k, v in value.items():
        dict.__setitem__(wrapped, k, wrap(v, owner, (*path, k)) if isinstance(v, dict) else v)
    return wrapped
