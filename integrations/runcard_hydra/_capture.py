"""What a Hydra job's config says, turned into plain data for a run: the task config resolved
and unresolved, which keys the command line set, the interpolations, and the job's facts."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict, read_write

logger = logging.getLogger("runcard.hydra")

# Hydra's own config groups worth keeping among the choices; the rest (hydra/output,
# hydra/job_logging, ...) say nothing about the experiment.
HYDRA_CHOICES_KEPT = ("hydra/launcher", "hydra/sweeper")

Path = tuple[str, ...]


@dataclass
class Override:
    """One command-line override of the job (`hydra.overrides.task`)."""

    text: str  # as typed, e.g. "model.depth=4"
    key: str  # the config key or the config group it names
    is_group: bool  # `db=postgres` picks a group option; `lr=0.1` sets a value
    is_delete: bool  # `~key`


@dataclass
class JobCapture:
    """Everything the callback records at job start, as plain data."""

    task_config: DictConfig  # the composed config without `hydra`, as the task sees it
    resolved: dict[str, Any]  # task_config resolved to plain containers
    overrides: list[Override]
    interpolations: dict[Path, str]  # leaf path -> its unresolved expression
    hydra: dict[str, Any]  # the job's facts, recorded under the config key `hydra`
    sweep_dir: str | None  # a multirun's sweep directory
    job_name: str
    job_num: int | None
    job_id: str | None
    override_dirname: str
    config_name: str | None
    choices: dict[str, Any]  # the config-group choices kept (the user's, launcher, sweeper)


def capture(config: DictConfig) -> JobCapture:
    """Read a job's config as `Callback.on_job_start` receives it (with the `hydra` node)."""
    hydra_cfg = config.hydra
    task_config = _task_config(config)
    # what the job carries, not hydra.mode: Hydra's Python API (`Hydra.multirun()`, used by
    # its launcher test suites and hydra-zen) leaves the mode unset, but every launcher gives
    # each multirun job its number
    multirun = select(hydra_cfg, "job.num") is not None or str(select(hydra_cfg, "mode")) in (
        "MULTIRUN",
        "RunMode.MULTIRUN",
    )
    all_choices = _plain(select(hydra_cfg, "runtime.choices")) or {}
    choices = {
        str(group): choice
        for group, choice in all_choices.items()
        if not str(group).startswith("hydra/") or group in HYDRA_CHOICES_KEPT
    }
    # as typed: an override such as `x='${y}'` must not be resolved here
    task_overrides = [str(o) for o in _raw(hydra_cfg, "overrides", "task") or []]
    overrides = parse_overrides(task_overrides, set(map(str, all_choices)))
    job_num = select(hydra_cfg, "job.num") if multirun else None
    job_id = select(hydra_cfg, "job.id") if multirun else None
    sweep_dir = select(hydra_cfg, "sweep.dir") if multirun else None
    job_name = str(select(hydra_cfg, "job.name") or "")
    override_dirname = str(_raw(hydra_cfg, "job", "override_dirname") or "")
    config_name = select(hydra_cfg, "job.config_name")

    job: dict[str, Any] = {"name": job_name}
    if config_name is not None:
        job["config_name"] = str(config_name)
    if job_num is not None:
        job["num"] = int(job_num)
    if job_id is not None and str(job_id) != str(job_num):  # a launcher's own id (SLURM...)
        job["id"] = str(job_id)
    facts: dict[str, Any] = {
        "mode": "MULTIRUN" if multirun else "RUN",
        "job": job,
        "runtime": {"output_dir": select(hydra_cfg, "runtime.output_dir"), "choices": choices},
        "overrides": {"task": task_overrides},
    }
    if sweep_dir is not None:
        facts["sweep"] = {"dir": str(sweep_dir)}
    return JobCapture(
        task_config=task_config,
        resolved=resolve(task_config),
        overrides=overrides,
        interpolations=dict(interpolations(task_config)),
        hydra=facts,
        sweep_dir=None if sweep_dir is None else str(sweep_dir),
        job_name=job_name,
        job_num=None if job_num is None else int(job_num),
        job_id=None if job_id is None else str(job_id),
        override_dirname=override_dirname,
        config_name=None if config_name is None else str(config_name),
        choices=choices,
    )


def _task_config(config: DictConfig) -> DictConfig:
    """The config the task function receives: a copy without the `hydra` node (as Hydra's
    `run_job` makes it, so interpolations resolve exactly as the task sees them)."""
    task = copy.deepcopy(config)
    with read_write(task), open_dict(task):
        if "hydra" in task:
            del task["hydra"]
    return task


def select(node: DictConfig, key: str) -> Any:
    """A value under `node`, or None where it is missing (`???`) or does not resolve."""
    try:
        return OmegaConf.select(node, key, default=None, throw_on_missing=False)
    except Exception:  # an interpolation that does not resolve in this mode
        return None


def _raw(node: DictConfig, *path: str) -> Any:
    """A value under `node` as written, interpolations unresolved; None where it is absent."""
    value: Any = OmegaConf.to_container(node, resolve=False)
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def resolve(task_config: DictConfig) -> dict[str, Any]:
    """The task config resolved to plain containers. A value whose interpolation fails (a
    missing key the task never reads, say) is kept as its unresolved text rather than losing
    the whole config; a mandatory value left `???` stays `???`."""
    try:
        resolved = OmegaConf.to_container(task_config, resolve=True)
    except Exception:
        resolved = _resolve_each(task_config)
    assert isinstance(resolved, dict)
    return {str(k): v for k, v in resolved.items()}


def _resolve_each(node: Any) -> Any:
    if isinstance(node, DictConfig):
        out: dict[str, Any] = {}
        for key in node:
            out[str(key)] = _resolve_child(node, key)
        return out
    if isinstance(node, ListConfig):
        return [_resolve_child(node, i) for i in range(len(node))]
    return node


def _resolve_child(node: DictConfig | ListConfig, key: Any) -> Any:
    try:
        value = node[key]
    except Exception as exc:
        raw = OmegaConf.to_container(node, resolve=False)
        text = raw[key] if isinstance(raw, (dict, list)) else None
        logger.warning(
            "runcard: Hydra config value %r does not resolve (%s); recorded as %r", key, exc, text
        )
        return text
    if isinstance(value, (DictConfig, ListConfig)):
        try:
            return OmegaConf.to_container(value, resolve=True)
        except Exception:
            return _resolve_each(value)
    return value


def interpolations(node: DictConfig, prefix: Path = ()) -> Iterator[tuple[Path, str]]:
    """(path, expression) for every dict entry of the task config that is an interpolation,
    such as `("optimizer", "lr"): "${lr}"` (lists are not searched)."""
    raw = OmegaConf.to_container(node, resolve=False)
    assert isinstance(raw, dict)
    for key, value in raw.items():
        path = (*prefix, str(key))
        if OmegaConf.is_interpolation(node, key if isinstance(key, (int, str)) else str(key)):
            yield path, str(value)
        elif isinstance(value, dict):
            child = node[key]
            if isinstance(child, DictConfig):
                yield from interpolations(child, path)


def parse_overrides(texts: list[str], groups: set[str]) -> list[Override]:
    """Parse `hydra.overrides.task` with Hydra's own grammar; `groups` are the config groups
    of the job (the keys of `hydra.runtime.choices`)."""
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parsed = OverridesParser.create().parse_overrides(texts)
    except Exception as exc:  # Hydra parsed them already; this is a fallback, never expected
        logger.debug("runcard: parsing Hydra overrides with Hydra's parser failed: %s", exc)
        return [_naive_override(text, groups) for text in texts]
    result = []
    for text, override in zip(texts, parsed, strict=True):
        key = str(override.key_or_group)
        result.append(
            Override(
                text=text,
                key=key,
                is_group=key in groups,
                is_delete=override.is_delete(),
            )
        )
    return result


def _naive_override(text: str, groups: set[str]) -> Override:
    key = text.split("=", 1)[0].lstrip("+~").split("@", 1)[0]
    return Override(text=text, key=key, is_group=key in groups, is_delete=text.startswith("~"))


def override_target(tree: Mapping[str, Any], path: Path) -> tuple[Path, Any] | None:
    """(path, value) of what an override of `path` set: the value itself, or the whole list
    when the path goes into one (`layers.0=8`); None when the key is not in the config."""
    node: Any = tree
    for depth, part in enumerate(path):
        if isinstance(node, list) and depth:
            return path[:depth], node
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return path, node


def batches(
    tree: dict[str, Any],
    origins: Mapping[Path, tuple[str, str | None]],
    default: tuple[str, str | None],
) -> Iterator[tuple[tuple[str, str | None], dict[str, Any]]]:
    """Split `tree` into nested dicts of consecutive leaves (in the tree's order) that share an
    origin: the one of the leaf's longest path prefix in `origins`, else `default`."""
    current = default
    batch: dict[str, Any] = {}
    for path, value in _leaves(tree, ()):
        origin = default
        for depth in range(len(path), 0, -1):
            if path[:depth] in origins:
                origin = origins[path[:depth]]
                break
        if origin != current and batch:
            yield current, batch
            batch = {}
        current = origin
        _put(batch, path, value)
    if batch:
        yield current, batch


def _leaves(tree: Mapping[str, Any], prefix: Path) -> Iterator[tuple[Path, Any]]:
    for key, value in tree.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, path)
        else:
            yield path, value


def _put(tree: dict[str, Any], path: Path, value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree[path[-1]] = value
