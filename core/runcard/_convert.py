"""Turning user values into JSON-ready Python values, with their types kept.

Config writes call `to_config_value`; it never raises on a value's type. Values with no faithful
JSON form become a short text form such as ``<function train.step>`` or
``<numpy.ndarray shape=(1000, 1000) dtype=float32>``; `Conversion.lossy` lists the keys that took
one so the caller can warn once. Nothing here imports numpy, torch or any framework: arrays and
tensors are recognised by their methods (`tolist`, `item`, `size`).
"""

from __future__ import annotations

import json
import math
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# An array or tensor with more elements than this is recorded by its shape, not its values, so
# that a config write never stalls a training script on a large `tolist()`.
MAX_ARRAY_ELEMENTS = 10_000
MAX_DEPTH = 64
# Python writes an int as decimal text only up to sys.get_int_max_str_digits() digits (4300 by
# default), so a longer int has no JSON form: it is stored as its digits in a string, or past
# MAX_INT_TEXT_BITS (about 20,000 digits, a few ms to write) as a short text form. Ints of up to
# LONG_INT_BITS (about 600 digits, under the least limit Python allows) are never checked.
LONG_INT_BITS = 2_000
MAX_INT_TEXT_BITS = 65_536

_PLAIN = (str, int, bool, type(None))


class Conversion:
    """Collects the dotted keys whose values were stored as a text form."""

    __slots__ = ("lossy",)

    def __init__(self) -> None:
        self.lossy: list[tuple[str, str]] = []


def to_config_value(value: Any, key: str, conversion: Conversion) -> Any:
    """A JSON-ready copy of `value`: dicts with string keys, lists, str, int, float, bool, None."""
    return _convert(value, key, conversion, 0, set())


def _convert(value: Any, key: str, conv: Conversion, depth: int, seen: set[int]) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        if kind is int and value.bit_length() > LONG_INT_BITS and not is_json_int(value):
            conv.lossy.append((key, f"builtins.int of {value.bit_length()} bits has no JSON form"))
            return long_int_text(value)
        return value
    if kind is float:
        return None if value != value else value  # NaN has no JSON form: stored as null
    if depth >= MAX_DEPTH:
        return _text_form(value, key, conv, "nested too deeply")
    if kind is dict or kind is list or kind is tuple:
        marker = id(value)
        if marker in seen:
            return _text_form(value, key, conv, "refers to itself")
        seen.add(marker)
        try:
            if kind is dict:
                return {
                    str(k): _convert(v, f"{key}.{k}", conv, depth + 1, seen)
                    for k, v in value.items()
                }
            return [_convert(v, f"{key}[{i}]", conv, depth + 1, seen) for i, v in enumerate(value)]
        finally:
            seen.discard(marker)
    plain = as_mapping(value)
    if plain is not None:
        return _convert(plain, key, conv, depth, seen)
    return _convert_other(value, key, conv, depth, seen)


def _convert_other(value: Any, key: str, conv: Conversion, depth: int, seen: set[int]) -> Any:
    import enum

    if isinstance(value, enum.Enum):
        return _convert(value.value, key, conv, depth + 1, seen)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _convert(int(value), key, conv, depth, seen)
    if isinstance(value, float):
        return _convert(float(value), key, conv, depth, seen)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (set, frozenset)):
        items = [_convert(v, key, conv, depth + 1, seen) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, (list, tuple, range)):
        return _convert(list(value), key, conv, depth, seen)
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return _text_form(value, key, conv, "is not UTF-8 text")
    if getattr(value, "ndim", None) == 0:  # a numpy scalar; tolist() keeps numpy.float128 as is
        import numbers

        if isinstance(value, numbers.Integral):
            return _convert(int(value), key, conv, depth, seen)
        if isinstance(value, numbers.Real):
            return _convert(float(value), key, conv, depth, seen)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "isoformat") and callable(value.isoformat):  # datetime, date, time
        return value.isoformat()
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy, torch, jax, pandas Series
        size = _element_count(value)
        if size is not None and size > MAX_ARRAY_ELEMENTS:
            return _text_form(value, key, conv, f"has {size} elements")
        try:
            listed = value.tolist()
        except Exception:
            return _text_form(value, key, conv, "tolist() failed")
        return _convert(listed, key, conv, depth + 1, seen)
    if hasattr(value, "item") and callable(value.item) and _element_count(value) == 1:
        try:
            return _convert(value.item(), key, conv, depth + 1, seen)
        except Exception:
            return _text_form(value, key, conv, "item() failed")
    import numbers

    if isinstance(value, numbers.Integral):
        return _convert(int(value), key, conv, depth, seen)
    if isinstance(value, numbers.Real):
        return _convert(float(value), key, conv, depth, seen)
    return _text_form(value, key, conv, "has no JSON form")


def is_json_int(value: int) -> bool:
    """Whether Python writes `value` as decimal text (see LONG_INT_BITS)."""
    if value.bit_length() <= LONG_INT_BITS:
        return True
    try:
        int.__repr__(value)
    except ValueError:
        return False
    return True


def long_int_text(value: int) -> str:
    """The text an int with no JSON form is stored as: its digits, or its size past
    MAX_INT_TEXT_BITS."""
    if value.bit_length() <= MAX_INT_TEXT_BITS:
        import decimal

        try:
            return format(decimal.Decimal(value), "f")  # not bound by the int-to-text limit
        except ValueError:  # pragma: no cover - the pure-Python decimal module is
            pass
    return f"<builtins.int bits={value.bit_length()}>"


def as_mapping(value: Any) -> dict[Any, Any] | None:
    """A plain dict for mapping-like objects (Mapping, Namespace, dataclass, pydantic, attrs,
    OmegaConf); None for anything else."""
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        module = type(value).__module__
        if module.startswith("omegaconf"):
            return _omegaconf_container(value)
        return dict(value.items())
    module = type(value).__module__
    if module.startswith("omegaconf"):
        return _omegaconf_container(value)
    if type(value).__name__ == "Namespace" and hasattr(value, "__dict__"):  # argparse and alikes
        return dict(vars(value))
    fields = getattr(type(value), "__dataclass_fields__", None)
    if isinstance(fields, dict) and not isinstance(value, type):
        return {name: getattr(value, name) for name in fields}
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):  # pydantic 2
        return dict(model_dump())
    attrs_fields = getattr(type(value), "__attrs_attrs__", None)
    if attrs_fields is not None and not isinstance(value, type):
        return {a.name: getattr(value, a.name) for a in attrs_fields}
    return None


def _omegaconf_container(value: Any) -> dict[Any, Any] | None:
    from omegaconf import OmegaConf  # already imported: `value` is one of its containers

    container = OmegaConf.to_container(value, resolve=True)
    return container if isinstance(container, dict) else {"value": container}


def _element_count(value: Any) -> int | None:
    size = getattr(value, "size", None)
    if callable(size):  # torch: size() is the shape
        numel = getattr(value, "numel", None)
        size = numel() if callable(numel) else None
    if isinstance(size, int):
        return size
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return math.prod(shape)
    return None


def _text_form(value: Any, key: str, conv: Conversion, why: str) -> str:
    kind = type(value)
    qualified = f"{kind.__module__}.{kind.__qualname__}"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    parts = [qualified if not isinstance(name, str) else f"{qualified} {name}"]
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        parts.append(f"shape={shape}")
        dtype = getattr(value, "dtype", None)
        if dtype is not None:
            parts.append(f"dtype={dtype}")
    else:
        try:
            parts.append(f"len={len(value)}")
        except Exception:
            pass
    text = "<" + " ".join(parts) + ">"
    conv.lossy.append((key, f"{qualified} {why}"))
    return text


_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


_SCALAR_JSON = {True: "true", False: "false", None: "null"}


def dumps(value: Any) -> str:
    """JSON text; ±inf is written as ±1e999, which JSON readers (and SQLite) parse as infinity."""
    kind = type(value)
    if kind is float and value - value == 0.0:  # finite: json writes floats with repr too
        return repr(value)
    if kind is int:
        return int.__repr__(value) if is_json_int(value) else _ENCODE(long_int_text(value))
    if kind is bool or value is None:
        return _SCALAR_JSON[value]
    try:
        return _ENCODE(value)
    except ValueError:
        return (
            _ENCODE(_finite(value))
            .replace('"\\u0000inf"', "1e999")
            .replace('"\\u0000-inf"', "-1e999")
        )


def _finite(value: Any) -> Any:
    """`value` with what JSON cannot hold replaced: ±inf and NaN, and ints too long for it."""
    if type(value) is int and not is_json_int(value):
        return long_int_text(value)
    if type(value) is float and math.isinf(value):
        return "\x00inf" if value > 0 else "\x00-inf"
    if type(value) is float and value != value:
        return None
    if type(value) is dict:
        return {k: _finite(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return [_finite(v) for v in value]
    return value


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
