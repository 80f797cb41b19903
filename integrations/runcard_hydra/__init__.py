"""runcard for Hydra apps: every Hydra job becomes a runcard run, with one line of config.

Usage (``pip install "runcard[hydra]"``), in the app's primary config::

    defaults:
      - override hydra/callbacks: runcard
      - _self_

    hydra:
      callbacks:
        runcard:
          project: my-project          # optional; also name, tags, mode, group, ...

or on the command line: ``python my_app.py hydra/callbacks=runcard`` (not ``+hydra/callbacks``:
Hydra's defaults already hold ``hydra/callbacks: null``). The option comes from a search-path
plugin (``hydra_plugins.runcard_hydra``) that Hydra discovers by itself.

Each job (the single run, or every job of a ``--multirun``) gets its own run:

- config: the composed task config resolved to plain values, as the task function sees it;
  provenance ``hydra-override`` (detail: the override) for keys set on the command line,
  ``hydra`` otherwise (detail: the interpolation for interpolated values);
- config ``hydra.*`` (Hydra's own names): ``mode``, ``job.name``, ``job.config_name``,
  ``runtime.output_dir``, ``runtime.choices`` (the config-group choices; an override of one
  has provenance ``hydra-override``), ``overrides.task``, and in a multirun ``job.num`` and
  ``sweep.dir``, which is also the run's group;
- ``<run.dir>/hydra/``: the unresolved ``config.yaml``, ``hydra.yaml`` and ``overrides.yaml``;
- the end: the task's return value in the summary (a number as ``return_value``, a dict of
  numbers under its keys) and the state ``finished``, or ``failed`` if the task raised.

``runcard.init()`` and ``runcard.log()`` inside the task function use the job's run (an
``init(config=...)`` there merges into it; its ``project=``/``name=`` are ignored: set those under
``hydra.callbacks.runcard``). Values set on the command line are not locked: a later write by
the task is recorded as a revision, since the task reads ``cfg``, not ``runcard.config``.
"""

from __future__ import annotations

try:
    import hydra  # noqa: F401
    import omegaconf  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in an env without hydra
    raise ImportError(
        f'runcard_hydra needs hydra-core: pip install "runcard[hydra]" ({exc})'
    ) from exc

from runcard_hydra.callback import RuncardCallback

__all__ = ["RuncardCallback"]
