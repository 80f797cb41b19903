"""The rows of the table, one small function each, in SPEC §9's order.

A row function times a workload with `ctx.measure(fig, workload, ...)` (runcard and the installed
peers, fresh processes, taking turns) and appends to `fig.problems` whatever it finds wrong with
runcard's data. To add a row: write the child side in `_workloads.py`, then a function here.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks._harness import Context, Figure, Sample, row, runcard_store
from benchmarks._workloads import config20

CONFIG_UPDATES = 1000


def _same(a: Any, b: Any) -> bool:
    """Equal with types kept (2.0 is not 2)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _stored_run(sample: Sample, problems: list[str]) -> Any:
    """The run a runcard child created, read back through the public Api, or None."""
    import runcard

    path = sample.info.get("path")
    try:
        run = runcard.Api(dir=str(runcard_store(sample.store))).run(str(path))
    except runcard.Error as exc:
        problems.append(f"run {path} not readable through Api: {type(exc).__name__}: {exc}")
        return None
    if run.state != "finished":
        problems.append(f"run {path}: state {run.state!r} after finish(), expected 'finished'")
    return run


def _check_config(
    path: str, got: dict[str, Any], want: dict[str, Any], problems: list[str]
) -> None:
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = sorted(k for k in set(want) & set(got) if not _same(got[k], want[k]))
    if missing:
        problems.append(f"run {path}: config keys missing: {missing[:5]} ({len(missing)} in all)")
    if extra:
        problems.append(f"run {path}: unexpected config keys: {extra[:5]}")
    for key in wrong[:3]:
        problems.append(f"run {path}: config[{key!r}] = {got[key]!r}, expected {want[key]!r}")


def _check_init_runs(samples: list[Sample], problems: list[str]) -> None:
    want = config20()
    for sample in samples:
        run = _stored_run(sample, problems)
        if run is not None:
            _check_config(run.path, run.config, want, problems)


@row("import", "import runcard", unit="ms", target=20.0)
def import_time(ctx: Context, fig: Figure) -> None:
    ctx.measure(fig, "import", fresh_store=True)


@row(
    "init_finish",
    "init+finish, 20-key config, store exists",
    unit="ms",
    target=5.0,
)
def init_finish(ctx: Context, fig: Figure) -> None:
    _check_init_runs(ctx.measure(fig, "init_finish"), fig.problems)


@row(
    "init_finish_new_store",
    "init+finish, 20-key config, new store",
    unit="ms",
    target=20.0,
)
def init_finish_new_store(ctx: Context, fig: Figure) -> None:
    _check_init_runs(ctx.measure(fig, "init_finish", fresh_store=True), fig.problems)


@row(
    "config_update",
    f"config update ({CONFIG_UPDATES:,} per run, incl. finish)",
    unit="us",
    target=5.0,
)
def config_update(ctx: Context, fig: Figure) -> None:
    samples = ctx.measure(fig, "config_updates", str(CONFIG_UPDATES))
    half = CONFIG_UPDATES // 2
    want = {**config20(), **{f"k{i}": i + half for i in range(half)}}
    for sample in samples:
        run = _stored_run(sample, fig.problems)
        if run is None:
            continue
        _check_config(run.path, run.config, want, fig.problems)
        provenance = run.provenance()
        bad = []
        for i in range(half):
            revisions = provenance.get(f"k{i}", [])
            values = [rev["value"] for rev in revisions]
            sources = {rev["source"] for rev in revisions}
            if values != [i, i + half] or sources != {"code"}:
                bad.append(f"k{i}: values {values}, sources {sorted(sources)}")
        if bad:
            fig.problems.append(
                f"run {run.path}: provenance of {len(bad)} updated keys not "
                f"[old, new] from source 'code', e.g. {bad[0]}"
            )
