"""The values of a sweep's next run: grid enumeration, seeded random draws, and bayes (Optuna).

A suggestion is a function of the spec, the seed, the slot number and (bayes) the finished
runs, so the store can make it inside the transaction that claims the slot: agents racing
for slots never get one twice.
"""

from __future__ import annotations

import math
import random

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Leaves = list[tuple[tuple[str, ...], dict[str, Any]]]


def leaves(parameters: dict[str, Any], prefix: tuple[str, ...] = ()) -> Leaves:
    """Every parameter with a distribution, by its path through nested `parameters` blocks."""
    out: Leaves = []
    for name, param in parameters.items():
        if "parameters" in param:
            out.extend(leaves(param["parameters"], (*prefix, name)))
        else:
            out.append(((*prefix, name), param))
    return out


def nest(values: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    """Values by path as the nested config they set."""
    out: dict[str, Any] = {}
    for path, value in values:
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def grid_values(param: dict[str, Any]) -> list[Any]:
    kind = param["distribution"]
    if kind == "constant":
        return [param["value"]]
    if kind == "categorical":
        return list(param["values"])
    if kind == "int_uniform":
        return list(range(param["min"], param["max"] + 1))
    q = param["q"]  # q_uniform
    count = math.floor((param["max"] - param["min"]) / q + 1e-9) + 1
    return [_rounded(param["min"] + i * q, q) for i in range(count)]


def grid_size(spec: dict[str, Any]) -> int:
    return math.prod(len(grid_values(param)) for _, param in leaves(spec["parameters"]))


def grid_point(spec: dict[str, Any], slot: int) -> dict[str, Any] | None:
    """The grid's combination number `slot` (the last parameter varying fastest), or None past
    the last one."""
    if slot >= grid_size(spec):
        return None
    chosen = []
    for path, param in reversed(leaves(spec["parameters"])):
        options = grid_values(param)
        slot, index = divmod(slot, len(options))
        chosen.append((path, options[index]))
    return nest(list(reversed(chosen)))


def random_point(spec: dict[str, Any], seed: int, slot: int) -> dict[str, Any]:
    """Draw number `slot` of the sweep seeded `seed`: the same seed gives the same draws."""
    rng = random.Random(f"{seed}:{slot}")
    return nest([(path, sample(param, rng)) for path, param in leaves(spec["parameters"])])


def _rounded(value: float, q: float) -> Any:
    out = round(value / q) * q
    return int(out) if isinstance(q, int) and float(out).is_integer() else out


def sample(param: dict[str, Any], rng: random.Random) -> Any:
    """One draw from a parameter's distribution, as wandb defines each."""
    kind = param["distribution"]
    if kind == "constant":
        return param["value"]
    if kind == "categorical":
        return rng.choices(param["values"], weights=param["probabilities"])[0]
    if kind == "int_uniform":
        return rng.randint(param["min"], param["max"])
    low: Any = param.get("min")
    high: Any = param.get("max")
    base = kind.removeprefix("q_")
    if base == "uniform":
        value = rng.uniform(low, high)
    elif base == "log_uniform":  # min and max are the exponents
        value = math.exp(rng.uniform(low, high))
    elif base == "log_uniform_values":
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    elif base == "inv_log_uniform":  # log(1/value) is uniform between min and max
        value = math.exp(-rng.uniform(low, high))
    elif base == "inv_log_uniform_values":
        value = 1 / math.exp(rng.uniform(math.log(1 / high), math.log(1 / low)))
    elif base == "normal":
        value = rng.gauss(param["mu"], param["sigma"])
    elif base == "log_normal":
        value = math.exp(rng.gauss(param["mu"], param["sigma"]))
    else:  # beta
        value = rng.betavariate(param["a"], param["b"])
    return _rounded(value, param["q"]) if kind.startswith("q_") else value
