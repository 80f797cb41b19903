"""Which config keys matter to a metric: for every key that varies between runs, its importance
(scikit-learn random forests cross-fitted over 4 folds, each scored by permutation importance on
the quarter of runs it did not see; negative scores count as 0; normalised to sum to 1; over
1000 runs a seeded sample of 1000 is scored), its correlation with the metric (Spearman
for numbers and booleans; for categories the Kruskal-Wallis epsilon², a rank-based effect size
from 0 to 1), the number of runs that had it, and its type. Keys equal in every run are listed
apart, those a sweep set apart again. Needs the `analysis` extra (scikit-learn, numpy), imported
only when asked."""

from __future__ import annotations

import json
import math

from runcard._compare import (
    MISSING,
    canonical,
    flatten_stored,
    is_number,
    lookup,
    varying_config,
)
from runcard._errors import Error, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._api import Api, ApiRun

MIN_RUNS = 10
FOLDS = 4
TREES = 32
MAX_DEPTH = 12
REPEATS = 4
# more runs than this add little to the ranking and much to the time: a seeded sample is scored
MAX_RUNS = 1000


def project_importance(
    api: Api,
    project: str,
    metric: str,
    filters: dict[str, Any] | None = None,
    keys: list[str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """`Api().importance(project, metric, filters=None, keys=None, seed=0)`: how much each config
    key that varies matters to `metric` over the runs of `project` that pass `filters` (needs
    the `analysis` extra). A dict: metric, runs, seed, method, keys (one row per varying key,
    most important first: key, type, importance, correlation, correlation_method, runs),
    constant, fixed_by_sweep, and message (why there are no scores, else None)."""
    if not isinstance(metric, str) or not metric.removeprefix("summary."):
        raise UsageError(
            f"importance: metric must be a summary key such as 'val_acc', got {metric!r}"
        )
    name = metric.removeprefix("summary.")
    runs = api.runs(project, filters, order="created_at", keys=["config", f"summary.{name}"])
    return importance(list(runs), metric, keys, seed)


def importance(
    runs: list[ApiRun],
    metric: str,
    keys: list[str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The importance report of `runs` for `metric` (`summary.<key>` or `<key>`), over the config
    `keys` given (all when None). Runs without a number for the metric are left out."""
    metric = metric if metric.startswith("summary.") else f"summary.{metric}"
    name = metric.partition(".")[2]
    kept = [(run, value) for run in runs if is_number(value := lookup(run.summary, name))]
    kept = [(run, v) for run, v in kept if math.isfinite(v)]
    flats = [flatten_stored(run.config) for run, _ in kept]
    wanted = None if keys is None else [_config_key(k) for k in keys]
    varying, same = varying_config(flats)
    if wanted is not None:
        known = set(varying) | set(same)
        unknown = [k for k in wanted if k not in known]
        if unknown:
            raise UsageError(f"importance: no run of these has config key {unknown[0]!r}")
        varying = [k for k in varying if k in wanted]
        same = [k for k in same if k in wanted]
    fixed = _set_by_sweep(kept[0][0], same) if kept else []
    report: dict[str, Any] = {
        "metric": metric,
        "runs": len(kept),
        "scored_runs": min(len(kept), MAX_RUNS),
        "seed": seed,
        "method": "cross-fitted random forest permutation importance; Spearman / epsilon²",
        "keys": [],
        "constant": [k for k in same if k not in fixed],
        "fixed_by_sweep": fixed,
        "message": None,
    }
    if len(kept) < MIN_RUNS:
        report["message"] = (
            f"{len(kept)} run(s) with a number for {metric}: importance needs at least "
            f"{MIN_RUNS}, fewer would only show noise"
        )
        return report
    if not varying:
        report["message"] = "no config key varies between these runs"
        return report
    columns = [_column([flat.get(k.partition(".")[2], MISSING) for flat in flats]) for k in varying]
    target = [v for _, v in kept]
    scores = _forest_scores([c[1] for c in columns], target, seed)
    for key, (kind, encoded, present), score in zip(varying, columns, scores, strict=True):
        report["keys"].append(
            {
                "key": key,
                "type": kind,
                "importance": score,
                "correlation": _correlation(kind, encoded, target),
                "correlation_method": "epsilon2" if kind == "category" else "spearman",
                "runs": present,
            }
        )
    report["keys"].sort(key=lambda row: (-row["importance"], row["key"]))
    return report


def _config_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise UsageError(f"importance: keys must be config key names, got {key!r}")
    return key if key.startswith("config.") else f"config.{key}"


def _set_by_sweep(run: ApiRun, keys: list[str]) -> list[str]:
    """Of the constant `keys`, those a sweep wrote (their last revision's source is `sweep`)."""
    if not keys:
        return []
    try:
        provenance = run.provenance()
    except Error:  # revisions unreadable: the keys are listed as constant, nothing is lost
        return []
    last = {key: revisions[-1].get("source") for key, revisions in provenance.items()}
    return [k for k in keys if last.get(k.partition(".")[2]) == "sweep"]


def _column(values: list[Any]) -> tuple[str, list[float], int]:
    """(type, the values as numbers for the forest, runs that had the key). Numbers stay as they
    are (missing: NaN); booleans are 0/1; anything else is a category coded by its sorted
    canonical form, a missing key and a null each a category of their own."""
    present = sum(v is not MISSING for v in values)
    real = [v for v in values if v is not MISSING and v is not None]
    if real and all(is_number(v) for v in real):
        return "number", [float(v) if is_number(v) else math.nan for v in values], present
    if real and all(isinstance(v, bool) for v in real):
        return "boolean", [float(v) if isinstance(v, bool) else math.nan for v in values], present
    labels = [_label(v) for v in values]
    codes = {label: i for i, label in enumerate(sorted(set(labels)))}
    return "category", [float(codes[label]) for label in labels], present


def _label(value: Any) -> str:
    if value is MISSING:
        return "\x00missing"
    return json.dumps(canonical(value), sort_keys=True, default=str)


def _forest_scores(columns: list[list[float]], target: list[float], seed: int) -> list[float]:
    """Permutation importance of each column, every run scored once by the forest fitted on the
    other folds (so a key the metric does not depend on scores about 0, not the forest's fit
    to noise)."""
    np, forest, permutation = _analysis_modules()
    x = np.array(columns, dtype=float).T
    y = np.array(target, dtype=float)
    order = np.random.default_rng(seed).permutation(len(y))[:MAX_RUNS]
    total = np.zeros(x.shape[1])
    for fold in range(FOLDS):
        test = order[fold::FOLDS]
        train = np.setdiff1d(order, test)
        model = forest(
            n_estimators=TREES, max_depth=MAX_DEPTH, min_samples_leaf=2, random_state=seed
        ).fit(x[train], y[train])
        scored = permutation(model, x[test], y[test], n_repeats=REPEATS, random_state=seed)
        total += scored.importances_mean * len(test)
    raw = [max(float(s), 0.0) for s in total]
    whole = sum(raw)
    return [s / whole if whole > 0 else 0.0 for s in raw]


def _correlation(kind: str, encoded: list[float], target: list[float]) -> float | None:
    from scipy import stats

    pairs = [(x, y) for x, y in zip(encoded, target, strict=True) if not math.isnan(x)]
    if len(pairs) < 3 or len({x for x, _ in pairs}) < 2:
        return None
    xs, ys = zip(*pairs, strict=True)
    if kind == "category":
        groups: dict[float, list[float]] = {}
        for x, y in pairs:
            groups.setdefault(x, []).append(y)
        try:
            h = float(stats.kruskal(*groups.values()).statistic)
        except ValueError:  # every metric value equal
            return None
        return _finite(h / (len(pairs) - 1))
    return _finite(float(stats.spearmanr(xs, ys).statistic))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _analysis_modules() -> tuple[Any, Any, Any]:
    try:
        import numpy
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.inspection import permutation_importance
    except ImportError as exc:
        raise UsageError(
            f"importance needs the 'analysis' extra ({exc.name} is missing): "
            "pip install 'runcard[analysis]'"
        ) from None
    return numpy, RandomForestRegressor, permutation_importance
