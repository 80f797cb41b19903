"""Which Lightning packages are installed: their `Logger` base classes and rank utilities.

Lightning ships under two import names, `lightning.pytorch` and `pytorch_lightning`, each with its
own `Logger` base class (neither derives from the other). `RuncardLogger` derives from every base
found here, so one class is a `Logger` for whichever package the user's Trainer comes from.
"""

from __future__ import annotations

from typing import Any

INSTALL_HINT = 'pip install "runcard[lightning]"'

# (package, module holding `Logger`, module holding `rank_zero_only`); lightning.pytorch first
_PACKAGES = (
    ("lightning", "lightning.pytorch.loggers", "lightning.pytorch.utilities"),
    ("pytorch_lightning", "pytorch_lightning.loggers", "pytorch_lightning.utilities"),
)


def _find() -> tuple[tuple[type, ...], tuple[Any, ...], tuple[type, ...]]:
    import importlib
    import importlib.util

    bases: list[type] = []
    rank_utilities: list[Any] = []
    dummies: list[type] = []
    for package, loggers_module, utilities_module in _PACKAGES:
        if importlib.util.find_spec(package) is None:
            continue
        # installed: an error importing it (torch missing, ...) is worth seeing as it is
        loggers = importlib.import_module(loggers_module)
        utilities = importlib.import_module(utilities_module)
        bases.append(loggers.Logger)
        dummies.append(importlib.import_module(f"{loggers_module}.logger").DummyExperiment)
        if utilities.rank_zero_only not in rank_utilities:  # today both share lightning_utilities'
            rank_utilities.append(utilities.rank_zero_only)
    if not bases:
        raise ImportError(
            "runcard_lightning needs PyTorch Lightning (the `lightning` or `pytorch_lightning` "
            f"package), which is not installed: {INSTALL_HINT}"
        )
    return tuple(bases), tuple(rank_utilities), tuple(dummies)


# DUMMY_EXPERIMENTS: the class of what Lightning's own loggers give as `experiment` on ranks
# other than zero, per package
LOGGER_BASES, _RANK_ZERO_ONLY, DUMMY_EXPERIMENTS = _find()


def global_rank() -> int:
    """The process's global rank as Lightning sees it: read from RANK / LOCAL_RANK /
    SLURM_PROCID / JSM_NAMESPACE_RANK when Lightning is imported, and set by the strategy when a
    launcher starts the process (ddp, ddp_spawn, fsdp, ...). Both packages share one
    `rank_zero_only` today; every one installed is consulted in case they ever part."""
    rank = 0
    for rank_zero_only in _RANK_ZERO_ONLY:
        rank = max(rank, getattr(rank_zero_only, "rank", 0) or 0)
    return rank
