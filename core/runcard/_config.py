"""The run config: a dict-like object that records where each value came from.

Every write goes through `Config._write`, which converts values (see `_convert`), compares them
leaf by leaf with what is there, applies the policy for changed values, and hands one revision per
new or changed leaf to the run's sink (the background writer). Nested dicts merge leaf by leaf:
``{"model": {"width": 2}}`` written over ``{"model": {"depth": 3}}`` keeps ``model.depth``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

from runcard._config_dict import ConfigDict, plain, wrap
from runcard._convert import LONG_INT_BITS, Conversion, to_config_value
from runcard._copies import config_deepcopy, config_reduce, same_object
from runcard._errors import ConfigError
from runcard._inputs import mapping_of, sourced
from runcard._warnings import PACKAGE_DIR, warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType
    from typing import Any

    # A revision as it travels to the store, JSON-ready: (key, value, source, detail, step,
    # time). The key is the dotted key, or the list of its parts when a part holds a dot.
    Key = str | list[str]
    Revision = tuple[Key, Any, str, str | None, int | None, float]
    Sink = Callable[[list[Revision]], None]

_MISSING = object()
_PLAIN = (str, int, float, bool, type(None))

# where a config value can come from, as `runcard config blame` shows it
SOURCES = tuple(
    "defaults-file configs-file init code argparse absl-cli absl-default hydra-override hydra"
    " lightning keras optuna ray-tune sweep api".split()
)


def _caller_detail() -> str | None:
    """`file:line` of the innermost frame outside runcard itself: where user code wrote."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
    return None if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def revision_key(path: tuple[str, ...] | list[str], dotted: str | None = None) -> Key:
    """How a revision names its key: dotted, unless a part holds a dot (then the parts)."""
    if len(path) == 1:
        return path[0] if "." not in path[0] else list(path)
    dotted = dotted if dotted is not None else ".".join(path)
    return dotted if dotted.count(".") == len(path) - 1 else list(path)


def key_path(key: Key) -> list[str]:
    return key.split(".") if isinstance(key, str) else list(key)


def _leaves(value: Any, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, (*prefix, k))
    else:
        yield prefix, value


def _same(a: Any, b: Any) -> bool:
    """Equal after conversion: (1, 2) is [1, 2] and 7 is 7.0, but True is not 1."""
    if type(a) is type(b) and type(a) in (str, int, float):
        return bool(a == b)
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


class Config:
    """The config of a run: `c["k"]`, `c.k`, `c.get()`, `c.update()`, nested values, provenance."""

    __slots__ = (
        "_allow_val_change",
        "_descriptions",
        "_items",
        "_locked",
        "_revisions",
        "_sink",
        "_step_of",
        "_warned",
    )

    def __init__(
        self,
        sink: Sink | None = None,
        step_of: Callable[[], int | None] | None = None,
        allow_val_change: bool | None = None,
    ) -> None:
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_sink", sink)
        object.__setattr__(self, "_step_of", step_of)
        object.__setattr__(self, "_allow_val_change", allow_val_change)
        object.__setattr__(self, "_locked", {})
        object.__setattr__(self, "_warned", set())
        object.__setattr__(self, "_revisions", [])
        object.__setattr__(self, "_descriptions", {})

    # -- reads -----------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def keys(self) -> list[str]:
        return [k for k in self._items if not k.startswith("_")]

    def values(self) -> list[Any]:
        return [self._items[k] for k in self.keys()]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self._items[k]) for k in self.keys()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def as_dict(self) -> dict[str, Any]:
        """A plain, deep copy of the user keys."""
        return {k: plain(v) for k, v in self.items()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self.as_dict() == other.as_dict()
        if isinstance(other, dict):
            return self.as_dict() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config({self.as_dict()!r})"

    def provenance(self, key: str) -> list[dict[str, Any]]:
        """Revisions of `key` (a dotted path) and of the keys nested under it, oldest first."""
        nested = key + "."
        return [
            {"key": dotted, "value": v, "source": s, "detail": d, "step": st, "time": t}
            for k, v, s, d, st, t in self._revisions
            for dotted in (k if isinstance(k, str) else ".".join(k),)
            if dotted == key or dotted.startswith(nested)
        ]

    @property
    def descriptions(self) -> dict[str, str]:
        return dict(self._descriptions)

    __copy__ = same_object  # copies: see runcard._copies
    __deepcopy__ = config_deepcopy
    __reduce__ = config_reduce

    # -- writes ----------------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        self._write({key: value}, "code")

    def __setattr__(self, name: str, value: Any) -> None:
        self._write({name: value}, "code")

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"config key {key!r}: keys cannot be removed from a run config")

    __delattr__ = __delitem__

    def update(
        self,
        d: Any = None,
        allow_val_change: bool | None = None,
        *,
        source: str = "code",
        detail: str | None = None,
        descriptions: dict[str, str] | None = None,
    ) -> None:
        """Set several keys from a dict, an argparse Namespace, absl/TF flags, or any mapping-like
        object. `allow_val_change=False` refuses changes to existing values (nothing applied).

        Framework adapters pass `source` (one of `runcard.CONFIG_SOURCES`, such as "lightning")
        so provenance says where the values came from, `detail` when the caller's file:line is
        not the place to name, and `descriptions` ({key: help text})."""
        if source not in SOURCES:
            raise ValueError(f"config source {source!r} is not one of {', '.join(SOURCES)}")
        if descriptions:
            self._describe({str(k): str(v) for k, v in descriptions.items()})
        if d is None:
            return
        if type(d) is dict:  # the common case: no mapping-like to unwrap, no flags to split
            self._write(d, source, detail=detail, allow_val_change=allow_val_change)
            return
        for found_source, found_detail, values, found_descriptions in sourced(d, source):
            self._write(
                values,
                found_source,
                detail=detail or found_detail,
                allow_val_change=allow_val_change,
            )
            self._describe(found_descriptions)

    def setdefaults(self, d: Any) -> None:
        """Set the keys of `d` that the config does not hold yet."""
        values = mapping_of(d)
        self._write({k: v for k, v in values.items() if k not in self._items}, "code")

    def update_locked(self, d: Any, user: str | None = None) -> None:
        """Set values a controller owns (a sweep, a Hydra override): later writes from the script
        to these keys are ignored with a warning."""
        self._write(
            mapping_of(d), "sweep", detail=user, allow_val_change=True, lock=user or "sweep"
        )

    # -- the one write path ----------------------------------------------------------------
    def _write(
        self,
        values: dict[Any, Any],
        source: str,
        detail: str | None = None,
        allow_val_change: bool | None = None,
        lock: str | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        if not values:
            return
        conversion: Conversion | None = None
        leaves: list[tuple[tuple[str, ...], str, Any]] = []
        for key, value in values.items():
            if prefix:
                path = (*prefix, str(key))
                dotted = ".".join(path)
            else:
                if type(key) is not str:
                    if not isinstance(key, str):
                        raise TypeError(
                            f"config keys must be strings; got {key!r} ({type(key).__name__})"
                        )
                    key = str(key)
                key = key.strip("-") or key  # as wandb: docopt's {"--lr": 0.1} is lr
                if "." in key and key not in self._items:
                    warn(
                        f"config key {key!r} contains a dot; it is stored unsplit, but filters "
                        "and displays read dots as nesting: prefer '-' or '_'"
                    )
                path, dotted = (key,), key
            kind = type(value)
            if kind in _PLAIN and (kind is not int or value.bit_length() <= LONG_INT_BITS):
                # most writes: nothing to convert, one leaf
                leaves.append((path, dotted, None if value != value else value))
                continue
            conversion = conversion or Conversion()
            converted = to_config_value(value, dotted, conversion)
            if type(converted) is dict and converted:
                leaves.extend((p, ".".join(p), v) for p, v in _leaves(converted, path))
            else:
                leaves.append((path, dotted, converted))
        for dotted, why in conversion.lossy if conversion else ():
            warn(f"config key {dotted!r}: {why}; stored as a text form")

        if allow_val_change is None:
            allow_val_change = self._allow_val_change  # the policy given to init()
        locked = self._locked
        accepted: list[tuple[tuple[str, ...], str, Any]] = []
        changes: list[tuple[str, Any, Any]] = []
        for leaf in leaves:
            path, dotted, value = leaf
            found, old = self._lookup(path, value)
            if locked and lock is None and dotted in locked:
                if not (found and _same(old, value)):
                    warn(
                        f"config key {dotted!r} is set by {locked[dotted]} to {old!r}; the write "
                        f"of {value!r} is ignored"
                    )
                continue
            if found:
                if _same(old, value):
                    continue
                changes.append((dotted, old, value))
            accepted.append(leaf)
        if changes and allow_val_change is not True:
            self._check_changes(changes, allow_val_change)
        if accepted:
            self._record(accepted, source, detail, lock)

    def _record(
        self,
        accepted: list[tuple[tuple[str, ...], str, Any]],
        source: str,
        detail: str | None,
        lock: str | None,
    ) -> None:
        """Store a revision per accepted leaf, then apply them (a finished run's sink raises)."""
        if source == "code" and detail is None:
            detail = _caller_detail()
        step = self._step_of() if self._step_of is not None else None
        now = time.time()
        revisions = [(revision_key(p, d), v, source, detail, step, now) for p, d, v in accepted]
        if self._sink is not None:
            self._sink(revisions)
        for path, dotted, value in accepted:
            self._assign(path, value)
            if lock is not None:
                self._locked[dotted] = lock
        self._revisions.extend(revisions)

    def _check_changes(
        self, changes: list[tuple[str, Any, Any]], allow_val_change: bool | None
    ) -> None:
        """Apply the policy for changed values: refuse (False), warn once per key (None)."""
        if allow_val_change is False:
            dotted, old, value = changes[0]
            raise ConfigError(
                f"config key {dotted!r} already holds {old!r}; refusing to change it to "
                f"{value!r} because allow_val_change=False (pass allow_val_change=True, or "
                "leave it unset to record the change). Nothing of this update was applied."
            )
        if allow_val_change is None:
            for dotted, old, value in changes:
                if dotted not in self._warned:
                    self._warned.add(dotted)
                    warn(
                        f"config key {dotted!r} changed from {old!r} to {value!r}; the change "
                        "is recorded in the run's config history"
                    )

    def _lookup(self, path: tuple[str, ...], value: Any) -> tuple[bool, Any]:
        """(found, old value) for a leaf about to be written."""
        if len(path) == 1:
            node: Any = self._items.get(path[0], _MISSING)
            if node is _MISSING:
                return False, None
            if type(node) is not ConfigDict or not node:
                return True, node
        node = self._items
        for part in path:
            if not isinstance(node, dict):
                return True, node  # a plain value is about to become a dict
            if part not in node:
                return False, None
            node = node[part]
        if isinstance(node, dict) and node:
            # {} merged into a dict changes nothing; a plain value replaces the whole dict
            return True, (value if isinstance(value, dict) else plain(node))
        return True, node

    def _assign(self, path: tuple[str, ...], value: Any) -> None:
        if len(path) == 1 and type(value) is not dict:
            self._items[path[0]] = value
            return
        node: dict[str, Any] = self._items
        for depth, part in enumerate(path[:-1]):
            child = node.get(part)
            if not isinstance(child, ConfigDict):
                child = wrap({}, self, path[: depth + 1])
                dict.__setitem__(node, part, child)
            node = child
        leaf = wrap(value, self, path) if isinstance(value, dict) else value
        dict.__setitem__(node, path[-1], leaf)

    def _describe(self, descriptions: dict[str, str]) -> None:
        self._descriptions.update(descriptions)

    def _load(self, values: dict[str, Any]) -> None:
        """Fill the config from the store (a resumed run) without recording revisions."""
        for path, value in _leaves(values, ()):
            if path:
                self._assign(path, value)


Mapping.register(Config)  # a mapping as wandb's is; its keys() and items() return lists
