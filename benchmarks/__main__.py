"""`python -m benchmarks [--quick] [--reps N] [--json FILE]`: print runcard's figures (and the
installed peers') as a table. Exits 1 when runcard crashed or lost data, not when a target is
missed: these are benchmarks, not timed tests."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from benchmarks import (  # noqa: F401  (register the rows)
    _importance_row,
    _kill_steps,
    _rows,
    optuna_overhead,
    scale,
    sweeps,
)
from benchmarks._harness import (
    PEERS,
    ROWS,
    ChildError,
    Context,
    Figure,
    available_peers,
    num,
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cell(fig: Figure, tool: str) -> str:
    result = fig.tools.get(tool)
    if result is None:
        return "-"
    if result.skipped:
        return "skipped"
    value = result.value
    if value is None:
        return "-"
    text = f"{num(value)} {fig.unit}"
    ratio = fig.ratio(tool) if tool != "runcard" else None
    if ratio is not None:
        text += f" ({ratio:.2g}x)"
    return text


def _table(figures: list[Figure], peers: list[str]) -> str:
    header = ["figure", "runcard", "target", "meets", *peers]
    rows = [header]
    for fig in figures:
        meets = {True: "yes", False: "no", None: "-"}[fig.meets]
        if fig.problems:
            meets = "FAIL"
        target = f"{'>=' if fig.at_least else '<='} {num(fig.target)} {fig.unit}"
        cells = [fig.title, _cell(fig, "runcard"), target, meets]
        rows.append(cells + [_cell(fig, peer) for peer in peers])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _to_json(figures: list[Figure], reps: int, peers: list[str]) -> dict[str, Any]:
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "reps": reps,
        "peers": peers,
        "rows": [
            {
                "key": fig.key,
                "title": fig.title,
                "unit": fig.unit,
                "target": fig.target,
                "at_least": fig.at_least,
                "stat": getattr(fig.stat, "__name__", str(fig.stat)),
                "value": fig.value,
                "meets": fig.meets,
                "problems": fig.problems,
                "tools": {
                    tool: {
                        "value": result.value,
                        "samples": [s.value for s in result.samples],
                        "skipped": result.skipped,
                    }
                    for tool, result in fig.tools.items()
                },
            }
            for fig in figures
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="2 repetitions, smaller counts (CI smoke)"
    )
    parser.add_argument("--reps", type=int, default=5, help="fresh processes per tool and row")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only", metavar="KEYS", help=f"comma-separated row keys: {', '.join(r.key for r in ROWS)}"
    )
    parser.add_argument(
        "--size", choices=sorted(scale.SIZES), default="100k", help="runs of the scale_* rows"
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if only and only - {r.key for r in ROWS}:
        parser.error(f"unknown rows: {', '.join(sorted(only - {r.key for r in ROWS}))}")
    reps = 2 if args.quick else max(1, args.reps)

    peers = available_peers()
    ctx = Context(reps, peers, _log, quick=args.quick)
    ctx.shared["size"] = args.size
    figures: list[Figure] = []
    try:
        for spec in ROWS:
            if (only and spec.key not in only) or (spec.opt_in and not only):
                continue
            _log(f"measuring: {spec.title}")
            fig = spec.figure()
            try:
                spec.fn(ctx, fig)
            except ChildError as exc:
                fig.problems.append(str(exc))
            figures.append(fig)
    finally:
        ctx.close()

    print(
        f"runcard benchmarks: median of {reps} fresh processes per figure unless the row says "
        f"otherwise{' (quick: smaller counts)' if args.quick else ''}; "
        f"Python {platform.python_version()}, {platform.system()}, {os.cpu_count()} CPUs"
    )
    if peers:
        print(
            "peer cells: the peer's figure (runcard's cost / the peer's; below 1 means runcard "
            "is better, for calls/s too)"
        )
    else:
        print(f"peers: none importable here ({', '.join(PEERS)})")
    print()
    print(_table(figures, peers))
    notes = ctx.notes + [f"PROBLEM {fig.title}: {p}" for fig in figures for p in fig.problems]
    if notes:
        print()
        print("\n".join(notes))
    if args.json:
        args.json.write_text(json.dumps(_to_json(figures, reps, peers), indent=2) + "\n")
    return 1 if any(fig.problems for fig in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
