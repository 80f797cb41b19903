"""A sweep file as wandb writes it, checked and put in one shape before any run starts.

`parse()` takes a dict or a YAML path and returns the spec with every parameter's distribution
made explicit (wandb infers it from `value`, `values`, or the type of `min`/`max`) and its
defaults filled in (q=1, mu=0, sigma=1, a=b=1). A mistake is a UsageError naming the key:
`sweep: parameters.lr.max: ...`. runcard adds one optional top-level key, `seed`, that makes
random and bayes suggestions reproducible.
"""

from __future__ import annotations

import math
import os

from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
# each distribution: its required keys, and optional keys with their defaults
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "constant": (("value",), {}),
    "categorical": (("values",), {"probabilities": None}),
    "int_uniform": (("min", "max"), {}),
    "uniform": (("min", "max"), {}),
    "q_uniform": (("min", "max"), {"q": 1.0}),
    "log_uniform": (("min", "max"), {}),
    "log_uniform_values": (("min", "max"), {}),
    "q_log_uniform": (("min", "max"), {"q": 1.0}),
    "q_log_uniform_values": (("min", "max"), {"q": 1.0}),
    "inv_log_uniform": (("min", "max"), {}),
    "inv_log_uniform_values": (("min", "max"), {}),
    "normal": ((), {"mu": 0.0, "sigma": 1.0}),
    "q_normal": ((), {"mu": 0.0, "sigma": 1.0, "q": 1.0}),
    "log_normal": ((), {"mu": 0.0, "sigma": 1.0}),
    "q_log_normal": ((), {"mu": 0.0, "sigma": 1.0, "q": 1.0}),
    "beta": ((), {"a": 1.0, "b": 1.0}),
    "q_beta": ((), {"a": 1.0, "b": 1.0, "q": 1.0}),
}
# the distributions whose min/max are values that must be positive (their logs are taken)
POSITIVE_BOUNDS = ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values")
TOP_KEYS = (
    "method",
    "metric",
    "parameters",
    "run_cap",
    "early_terminate",
    "program",
    "command",
    "name",
    "description",
    "project",
    "entity",
    "seed",
)
DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]


def _fail(where: str, problem: str) -> UsageError:
    return UsageError(f"sweep: {where}: {problem}")


def load(sweep: Any) -> dict[str, Any]:
    """The sweep as a dict: `sweep` itself, or the YAML file at path `sweep`."""
    if isinstance(sweep, (str, os.PathLike)):
        from runcard import _yaml

        path = os.fspath(sweep)
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError as exc:
            raise UsageError(f"sweep file {path}: {exc.strerror or exc}") from None
        sweep = _yaml.load(data, path)
        if not isinstance(sweep, dict):
            raise UsageError(
                f"sweep file {path}: a sweep is a mapping of keys, not a list or value"
            )
    if not isinstance(sweep, dict):
        raise UsageError(f"sweep: a dict or a YAML path, not {type(sweep).__name__}")
    return sweep


def parse(sweep: Any) -> dict[str, Any]:
    """The checked spec of `sweep` (a dict, or a YAML path), distributions made explicit."""
    raw = load(sweep)
    unknown = [str(key) for key in raw if key not in TOP_KEYS]
    if unknown:
        raise _fail(unknown[0], f"not a sweep key (use {', '.join(TOP_KEYS)})")
    method = raw.get("method")
    if method not in METHODS:
        raise _fail("method", f"one of {', '.join(METHODS)} is required, not {method!r}")
    spec: dict[str, Any] = {key: value for key, value in raw.items() if key != "parameters"}
    spec["metric"] = _metric(raw.get("metric"), method)
    if "parameters" not in raw:
        raise _fail("parameters", "required: the values the sweep sets")
    spec["parameters"] = _parameters(raw["parameters"], "parameters", method)
    for key in ("run_cap", "seed"):
        value = raw.get(key)
        if value is not None and (type(value) is not int or value < (1 if key == "run_cap" else 0)):
            raise _fail(key, f"a {'positive' if key == 'run_cap' else 'non-negative'} integer")
    for key in ("program", "name", "description", "project", "entity"):
        if key in raw and not isinstance(raw[key], str):
            raise _fail(key, f"a string, not {raw[key]!r}")
    command = raw.get("command", DEFAULT_COMMAND)
    if not isinstance(command, list) or not all(isinstance(part, str) for part in command):
        raise _fail("command", "a list of strings (wandb's macros such as ${args} allowed)")
    if "early_terminate" in raw:
        spec["early_terminate"] = _early_terminate(raw["early_terminate"], spec["metric"])
    return spec


def _metric(metric: Any, method: str) -> dict[str, str] | None:
    if metric is None:
        if method == "bayes":
            raise _fail("metric", "bayes needs a metric: {name, goal}")
        return None
    if not isinstance(metric, dict):
        raise _fail("metric", "a mapping {name, goal}")
    extra = [str(key) for key in metric if key not in ("name", "goal", "target")]
    if extra:
        raise _fail(f"metric.{extra[0]}", "not a metric key (use name, goal, target)")
    name = metric.get("name")
    if not isinstance(name, str) or not name:
        raise _fail("metric.name", "the summary key to optimize is required")
    goal = metric.get("goal", "minimize")
    if goal not in GOALS:
        raise _fail("metric.goal", f"minimize or maximize, not {goal!r}")
    return {"name": name, "goal": goal}


def _parameters(parameters: Any, where: str, method: str) -> dict[str, Any]:
    if not isinstance(parameters, dict) or not parameters:
        raise _fail(where, "a non-empty mapping of parameter names")
    return {
        str(name): _parameter(value, f"{where}.{name}", method)
        for name, value in parameters.items()
    }


def _parameter(param: Any, where: str, method: str) -> dict[str, Any]:
    if not isinstance(param, dict):
        raise _fail(where, "a mapping such as {values: [...]} or {min: 0, max: 1}")
    if "parameters" in param:
        if len(param) > 1:
            raise _fail(where, "nested parameters take no other keys")
        return {"parameters": _parameters(param["parameters"], f"{where}.parameters", method)}
    kind = param.get("distribution") or _inferred(param, where)
    if kind not in DISTRIBUTIONS:
        raise _fail(f"{where}.distribution", f"unknown distribution {kind!r}")
    required, optional = DISTRIBUTIONS[kind]
    allowed = {"distribution", *required, *optional}
    extra = [str(key) for key in param if key not in allowed]
    if extra:
        raise _fail(f"{where}.{extra[0]}", f"not a key of distribution {kind}")
    for key in required:
        if key not in param:
            raise _fail(f"{where}.{key}", f"required by distribution {kind}")
    out: dict[str, Any] = {"distribution": kind, **optional}
    out.update({key: param[key] for key in param if key != "distribution"})
    _check_values(out, where)
    if method == "grid" and kind not in ("constant", "categorical", "int_uniform", "q_uniform"):
        raise _fail(where, f"grid search needs listed values, not distribution {kind}")
    return out


def _inferred(param: dict[str, Any], where: str) -> str:
    if "value" in param:
        return "constant"
    if "values" in param:
        return "categorical"
    if "min" in param and "max" in param:
        ints = type(param["min"]) is int and type(param["max"]) is int
        return "int_uniform" if ints else "uniform"
    raise _fail(where, "give value, values, min and max, or a distribution")


def _check_values(param: dict[str, Any], where: str) -> None:
    kind = param["distribution"]
    if kind == "categorical":
        values, weights = param["values"], param["probabilities"]
        if not isinstance(values, list) or not values:
            raise _fail(f"{where}.values", "a non-empty list")
        if weights is not None:
            if not isinstance(weights, list) or len(weights) != len(values):
                raise _fail(f"{where}.probabilities", "a list as long as values")
            if not all(_number(w) and w >= 0 for w in weights) or not math.isclose(
                sum(weights), 1.0, abs_tol=1e-6
            ):
                raise _fail(f"{where}.probabilities", "non-negative numbers that sum to 1")
        return
    for key in ("min", "max", "q", "mu", "sigma", "a", "b"):
        if key in param and param[key] is not None and not _number(param[key]):
            raise _fail(f"{where}.{key}", f"a number, not {param[key]!r}")
    if "min" in param:
        if kind == "int_uniform" and not (type(param["min"]) is int and type(param["max"]) is int):
            raise _fail(f"{where}.min", "int_uniform takes integer min and max")
        if param["min"] >= param["max"]:
            raise _fail(f"{where}.max", f"must be above min ({param['min']!r})")
        if kind in POSITIVE_BOUNDS and param["min"] <= 0:
            raise _fail(f"{where}.min", f"{kind} takes positive values")
    for key in ("q", "sigma", "a", "b"):
        if key in param and param[key] <= 0:
            raise _fail(f"{where}.{key}", "must be positive")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _early_terminate(value: Any, metric: dict[str, str] | None) -> dict[str, Any]:
    where = "early_terminate"
    if not isinstance(value, dict):
        raise _fail(where, "a mapping {type: hyperband, min_iter | max_iter, eta, s}")
    if value.get("type") != "hyperband":
        raise _fail(f"{where}.type", f"hyperband is the one type, not {value.get('type')!r}")
    if metric is None:
        raise _fail("metric", "early_terminate needs a metric to compare runs by")
    extra = [str(key) for key in value if key not in ("type", "min_iter", "max_iter", "eta", "s")]
    if extra:
        raise _fail(f"{where}.{extra[0]}", "not a hyperband key (min_iter, max_iter, eta, s)")
    out = {"type": "hyperband", "eta": value.get("eta", 3), "s": value.get("s")}
    for key in ("min_iter", "max_iter", "eta", "s"):
        given = value.get(key)
        if given is not None and (type(given) is not int or given < (2 if key == "eta" else 1)):
            raise _fail(f"{where}.{key}", f"an integer of at least {2 if key == 'eta' else 1}")
    if "min_iter" in value:
        out["min_iter"] = value["min_iter"]
    elif "max_iter" in value:
        if value.get("s") is None:
            raise _fail(f"{where}.s", "required with max_iter (the number of brackets)")
        out["max_iter"] = value["max_iter"]
    else:
        raise _fail(where, "give min_iter, or max_iter and s")
    return out


def brackets(early: dict[str, Any]) -> list[int]:
    """The history lengths at which hyperband compares runs, as wandb defines them: max_iter
    divided by eta once per bracket (s brackets, down to 1), or min_iter times eta**k."""
    eta = early["eta"]
    if "min_iter" in early:
        return [early["min_iter"] * eta**k for k in range(40)]
    band: float = early["max_iter"]
    out = []
    for _ in range(early["s"]):
        band /= eta
        if band < 1:
            break
        out.append(int(band))
    return sorted(out)
