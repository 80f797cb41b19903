"""`method: bayes` through Optuna (the extra `runcard[sweeps]`): TPE, fed with finished runs.

Each suggestion builds a study from the sweep's finished runs (`add_trial`, their metric
values) and asks it for the next point, seeded by the sweep's seed and the slot, so it is made
inside the claim's transaction like any other. Optuna has no prior for wandb's unbounded
distributions (normal, log_normal, beta and their q_ forms): a bayes sweep with one is refused.
"""

from __future__ import annotations

import math

from runcard._errors import UsageError
from runcard._sweep_search import leaves, nest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BOUNDED = (
    "constant",
    "categorical",
    "int_uniform",
    "uniform",
    "q_uniform",
    "log_uniform",
    "log_uniform_values",
    "q_log_uniform",
    "q_log_uniform_values",
    "inv_log_uniform",
    "inv_log_uniform_values",
)


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise UsageError(
            "sweep method 'bayes' needs Optuna: pip install 'runcard[sweeps]'"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def check(spec: dict[str, Any]) -> None:
    """Refuse, naming the parameter, what bayes cannot search; and a missing Optuna."""
    for path, param in leaves(spec["parameters"]):
        kind = param["distribution"]
        where = "parameters." + ".parameters.".join(path)
        if kind not in BOUNDED:
            raise UsageError(f"sweep: {where}: bayes needs a bounded distribution, not {kind}")
        if kind == "categorical" and not all(
            v is None or isinstance(v, (bool, int, float, str)) for v in param["values"]
        ):
            raise UsageError(f"sweep: {where}.values: bayes takes numbers, strings, booleans")
    _optuna()


def _distribution(optuna: Any, param: dict[str, Any]) -> Any:
    kind = param["distribution"]
    dist = optuna.distributions
    if kind == "categorical":
        return dist.CategoricalDistribution(param["values"])
    if kind == "int_uniform":
        return dist.IntDistribution(param["min"], param["max"])
    low, high = float(param["min"]), float(param["max"])
    if kind in ("uniform", "q_uniform"):
        return dist.FloatDistribution(low, high)
    if kind in ("log_uniform", "q_log_uniform"):  # min and max are exponents
        return dist.FloatDistribution(math.exp(low), math.exp(high), log=True)
    if kind == "inv_log_uniform":
        return dist.FloatDistribution(math.exp(-high), math.exp(-low), log=True)
    return dist.FloatDistribution(low, high, log=True)  # the *_values forms


def bayes_point(
    spec: dict[str, Any], seed: int, slot: int, done: list[tuple[Any, float]]
) -> dict[str, Any]:
    optuna = _optuna()
    searched = [(p, param) for p, param in leaves(spec["parameters"]) if "value" not in param]
    fixed = [(p, param["value"]) for p, param in leaves(spec["parameters"]) if "value" in param]
    names = {".".join(path): path for path, _ in searched}
    dists = {".".join(path): _distribution(optuna, param) for path, param in searched}
    goal = spec["metric"]["goal"]
    sampler = optuna.samplers.TPESampler(seed=(seed * 100_003 + slot) % 2**32)
    study = optuna.create_study(direction=goal, sampler=sampler)
    for params, value in done:
        flat = {name: _get(params, path) for name, path in names.items()}
        try:
            study.add_trial(
                optuna.trial.create_trial(params=flat, distributions=dists, value=value)
            )
        except (ValueError, TypeError):  # a run of another space (values edited): not evidence
            continue
    trial = study.ask(dists)
    chosen = []
    for (path, param), name in zip(searched, names, strict=True):
        value = trial.params[name]
        if param["distribution"].startswith("q_"):
            q = param["q"]
            value = round(value / q) * q
        chosen.append((path, value))
    return nest(fixed + chosen)


def _get(params: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        params = params.get(part) if isinstance(params, dict) else None
    return params
