"""Comparing runs' values, shared by the CLI and the web app: a missing key told apart from a
stored null, dotted lookups into nested configs, one identity for values that group together
(7 and 7.0 alike, True and 1 apart), one sort order, the config keys that vary, the summary
metrics, runs grouped by the values of keys, and the aggregates of a group's metrics with a 95%
confidence interval of the mean from Student's t (so three seeds give an honest, wide interval
rather than a normal-theory one)."""

from __future__ import annotations

import json
import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    Item = TypeVar("Item")

# the fields of a run (beside config.* and summary.*) that a filter or a key may name
RUN_FIELDS = (
    "id",
    "name",
    "group",
    "job_type",
    "notes",
    "entity",
    "project",
    "state",
    "tags",
    "created_at",
    "finished_at",
    "heartbeat_at",
    "exit_code",
    "mode",
    "sweep",
)
AGGREGATES = ("mean", "std", "ci", "min", "max", "median", "sem", "count")


class _Missing:
    """The value of a key that a run does not have."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def lookup(document: Any, dotted: str) -> Any:
    """`model.depth` in {"model": {"depth": 4}}, else a key stored with its dot ({"model.depth":
    4}), as the store's filters read it; MISSING when neither exists."""
    if not isinstance(document, dict):
        return MISSING
    if "." not in dotted:
        return document.get(dotted, MISSING)
    parts = dotted.split(".")
    for i in range(1, len(parts)):
        child = document.get(".".join(parts[:i]), MISSING)
        if isinstance(child, dict):
            found = lookup(child, ".".join(parts[i:]))
            if found is not MISSING:
                return found
    return document.get(dotted, MISSING)


def flatten_stored(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A stored config or summary's nested dicts as dotted leaves; an empty dict is a leaf of its
    own. (What `log()` flattens on its way in is `_metrics.flatten`'s job.)"""
    out: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten_stored(value, f"{path}."))
        else:
            out[path] = value
    return out


def canonical(value: Any) -> Any:
    """A hashable identity for grouping and comparing: 7 and 7.0 are one value, True and 1 two,
    a missing key and a null two more."""
    if value is MISSING:
        return ("missing",)
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("nan",) if value != value else ("number", value)
    if isinstance(value, str):
        return ("text", value)
    return ("json", json.dumps(value, sort_keys=True, default=str))


_RANKS = {"number": 0, "bool": 1, "text": 2, "json": 3, "nan": 4, "null": 5, "missing": 6}


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers, then booleans, text, lists and objects; NaN, null and missing last."""
    kind = canonical(value)
    return _RANKS[kind[0]], kind[1] if len(kind) > 1 else 0


def sort_by(items: list[Any], value: Any, descending: bool) -> list[Any]:
    """`items` sorted by `value(item)`; NaN, null and missing stay last in both directions."""
    keyed = [(sort_key(value(item)), item) for item in items]
    present = [pair for pair in keyed if pair[0][0] < _RANKS["nan"]]
    absent = [pair for pair in keyed if pair[0][0] >= _RANKS["nan"]]
    present.sort(key=lambda pair: pair[0], reverse=descending)
    absent.sort(key=lambda pair: pair[0][0])
    return [item for _, item in present + absent]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def differs(values: list[Any]) -> bool:
    """Whether `values` hold two that are not one value (a missing key and a null differ)."""
    first = canonical(values[0])
    return any(canonical(v) != first for v in values[1:])


def keys_in_order(flats: Iterable[dict[str, Any]]) -> list[str]:
    """Every key of `flats`, in first-seen order."""
    order: dict[str, None] = {}
    for flat in flats:
        order.update(dict.fromkeys(flat))
    return list(order)


def varying_config(configs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(keys whose value differs between the flattened `configs`, keys equal in all), as
    `config.<key>` in first-seen order; a key missing from some runs differs."""
    if not configs:
        return [], []
    varying, same = [], []
    for key in keys_in_order(configs):
        first = configs[0].get(key, MISSING)
        kind = type(first)
        first_identity: Any = None
        for flat in configs:
            value = flat.get(key, MISSING)
            if value is first or (type(value) is kind and value == first):
                continue  # the common case, without serialising
            if first_identity is None:
                first_identity = canonical(first)
            if canonical(value) != first_identity:
                varying.append(f"config.{key}")
                break
        else:
            same.append(f"config.{key}")
    return varying, same


def summary_metrics(
    summaries: Iterable[dict[str, Any]], number: Callable[[Any], bool] = is_number
) -> list[str]:
    """The keys of `summaries` holding a `number` in at least one, `_`-prefixed keys left out,
    as `summary.<key>` in first-seen order."""
    keys: dict[str, None] = {}
    for summary in summaries:
        for key, value in summary.items():
            if key not in keys and number(value) and not key.startswith("_"):
                keys[key] = None
    return [f"summary.{k}" for k in keys]


def group(
    items: Iterable[Item], reads: list[Callable[[Item], Any]]
) -> list[tuple[tuple[Any, ...], list[Item]]]:
    """`items` bucketed by the values `reads` give (7 and 7.0 alike; missing and null apart), as
    (the values, the items) in the order of the values."""
    buckets: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[Item]]] = {}
    for item in items:
        values = tuple(read(item) for read in reads)
        ident = tuple(map(canonical, values))
        bucket = buckets.get(ident)
        if bucket is None:
            bucket = buckets[ident] = (values, [])
        bucket[1].append(item)
    return sorted(buckets.values(), key=lambda b: tuple(map(sort_key, b[0])))


# two-sided 95% quantiles t(0.975, df) for df = 1..30 (checked against numerical integration of
# the t density); above 30 Hill's Cornish-Fisher expansion is exact to 1e-7
_T975 = (
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
)
_Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("t975 needs at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def aggregate(values: list[float]) -> dict[str, Any]:
    """Every aggregate of `values` (NaN left out): None where too few values define it."""
    values = [v for v in values if v == v]
    n = len(values)
    result: dict[str, Any] = dict.fromkeys(AGGREGATES)
    result["count"] = n
    if n == 0:
        return result
    mean = math.fsum(values) / n
    ordered = sorted(values)
    middle = n // 2
    result.update(
        mean=mean,
        min=ordered[0],
        max=ordered[-1],
        median=ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2,
    )
    if n > 1 and not math.isinf(mean):
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
        sem = std / math.sqrt(n)
        half = t975(n - 1) * sem
        result.update(std=std, sem=sem, ci=(mean - half, mean + half))
    return result
