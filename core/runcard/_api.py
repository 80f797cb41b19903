"""The read side, wandb.Api-compatible: find runs, read and edit them after the fact."""

from __future__ import annotations

from runcard import _settings
from runcard._config import _leaves, revision_key
from runcard._convert import Conversion, to_config_value
from runcard._errors import RunNotFoundError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from runcard._config import Revision
    from runcard._store import Store


class Project:
    """A project in the store: `.name`, `.entity`, `.run_count`."""

    def __init__(self, entity: str, name: str, run_count: int) -> None:
        self.entity = entity
        self.name = name
        self.run_count = run_count

    def __repr__(self) -> str:
        return f"<runcard Project {self.entity}/{self.name} ({self.run_count} runs)>"


class Api:
    """`Api(dir=None)` reads the store under `dir`, else $RUNCARD_DIR, else ~/.runcard."""

    def __init__(self, dir: str | None = None, url: str | None = None) -> None:
        if url is not None:
            raise UsageError("Api(url=...): the tracking server client is not available yet")
        self._root = _settings.store_root(dir)
        self._store: Store | None = None

    def _open(self) -> Store:
        if self._store is None or not getattr(self._store, "exists", True):
            from runcard._store import open_store

            self._store = open_store(self._root, create=False)
        return self._store

    def run(self, path: str) -> ApiRun:
        """`entity/project/id`, `entity/project/runs/id`, `project/id` or a bare run id."""
        if not isinstance(path, str) or not path.strip("/"):
            raise RunNotFoundError(f"no run at {path!r}: give 'entity/project/id'")
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 4 and parts[2] == "runs":
            parts = [parts[0], parts[1], parts[3]]
        if len(parts) > 3:
            raise RunNotFoundError(f"no run at {path!r}: give 'entity/project/id'")
        entity = parts[0] if len(parts) == 3 else None
        project = parts[-2] if len(parts) >= 2 else None
        store = self._open()
        row = store.find_run(entity, project, parts[-1])
        if row is None:
            raise RunNotFoundError(f"no run {path!r} in the store at {self._root}")
        return ApiRun(store, row)

    def runs(
        self,
        path: str | None = None,
        filters: dict[str, Any] | None = None,
        order: str | None = "-created_at",
    ) -> list[ApiRun]:
        """Runs of `entity/project` (or `project`, or every project when None), filtered with
        MongoDB-style `filters` on config.*, summary.* and run fields, sorted by `order`."""
        entity: str | None = None
        project: str | None = None
        if path:
            parts = [p for p in path.strip("/").split("/") if p]
            if len(parts) == 1:
                project = parts[0]
            elif len(parts) == 2:
                entity, project = parts
            else:
                raise UsageError(f"Api.runs({path!r}): give 'entity/project' or 'project'")
        store = self._open()
        return [ApiRun(store, row) for row in store.query_runs(entity, project, filters, order)]

    def projects(self, entity: str | None = None) -> list[Project]:
        return [
            Project(e, name, count)
            for e, name, count in self._open().projects()
            if entity is None or e == entity
        ]


class ApiRun:
    """A stored run. Edit `.config`, `.summary`, `.name`, `.tags`, `.notes`, then `.update()`."""

    _EDITABLE = ("name", "tags", "notes", "group", "job_type")

    def __init__(self, store: Store, row: dict[str, Any]) -> None:
        self._store = store
        self._load(row)

    def _load(self, row: dict[str, Any]) -> None:
        self._row = row
        self._pk: int = row["pk"]
        self.id: str = row["run_id"]
        self.entity: str = row["entity"]
        self.project: str = row["project"]
        self.name: str = row["name"]
        self.group: str | None = row["group_name"]
        self.job_type: str | None = row["job_type"]
        self.tags: list[str] = list(row["tags"])
        self.notes: str | None = row["notes"]
        self.state: str = row["state"]
        self.mode: str = row["mode"]
        self.exit_code: int | None = row["exit_code"]
        self.config: dict[str, Any] = {
            k: v for k, v in row["config"].items() if not k.startswith("_")
        }
        self.summary: dict[str, Any] = dict(row["summary"])
        self.descriptions: dict[str, str] = dict(row["descriptions"])
        self.metadata: dict[str, Any] = dict(row["host"])
        import copy

        self._saved = {
            "config": copy.deepcopy(self.config),
            "summary": copy.deepcopy(self.summary),
            **{f: copy.deepcopy(getattr(self, f)) for f in self._EDITABLE},
        }

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def created_at(self) -> str:
        return _iso(self._row["created_at"])

    @property
    def finished_at(self) -> str | None:
        return None if self._row["finished_at"] is None else _iso(self._row["finished_at"])

    @property
    def heartbeat_at(self) -> str:
        return _iso(self._row["heartbeat_at"])

    def __repr__(self) -> str:
        return f"<runcard ApiRun {self.path} name={self.name!r} state={self.state}>"

    # -- reads -----------------------------------------------------------------------------
    def provenance(self) -> dict[str, list[dict[str, Any]]]:
        """{dotted key: [revision, ...]} oldest first; each revision has value, source, detail,
        step and time."""
        result: dict[str, list[dict[str, Any]]] = {}
        for rev in self._store.revisions(self._pk, "config"):
            result.setdefault(rev["key"], []).append(
                {k: rev[k] for k in ("value", "source", "detail", "step", "time")}
            )
        return result

    def scan_history(self, keys: list[str] | None = None) -> Iterator[dict[str, Any]]:
        for row in self._store.history(self._pk):
            if keys is None:
                yield row
            elif all(k in row for k in keys):
                yield {k: row[k] for k in ("_step", *keys)}

    def history(
        self, keys: list[str] | None = None, samples: int | None = None, pandas: bool = True
    ) -> Any:
        rows = list(self.scan_history(keys))
        if samples is not None and len(rows) > samples > 0:
            stride = len(rows) / samples
            rows = [rows[int(i * stride)] for i in range(samples)]
        if not pandas:
            return rows
        try:
            import pandas as pd
        except ImportError:
            raise UsageError(
                "history(pandas=True) needs pandas: pip install pandas, or pass pandas=False"
            ) from None
        return pd.DataFrame(rows)

    # -- edits -----------------------------------------------------------------------------
    def update(self) -> None:
        """Store edits of config, summary, name, tags, notes, group and job_type, each recorded
        as a revision with source "api"; works while the run is live and after it ended."""
        import time

        now = time.time()
        config_revisions = _diff(self._saved["config"], self.config, "config", now)
        summary_revisions = _diff(self._saved["summary"], self.summary, "summary", now)
        fields = {f: getattr(self, f) for f in self._EDITABLE if getattr(self, f) != self._saved[f]}
        if "name" in fields and not fields["name"]:
            raise UsageError(f"run {self.path}: name cannot be empty")
        if config_revisions or summary_revisions or fields:
            self._store.edit_run(self._pk, fields, config_revisions, summary_revisions)
        self._refresh()

    def delete(self) -> None:
        self._store.delete_run(self._pk)

    def _refresh(self) -> None:
        row = self._store.find_run(self.entity, self.project, self.id)
        if row is None:
            raise RunNotFoundError(f"run {self.path} is no longer in the store")
        self._load(row)


def _diff(old: dict[str, Any], new: dict[str, Any], what: str, now: float) -> list[Revision]:
    if not isinstance(new, dict):
        raise TypeError(f"run.{what} must stay a dict, got {type(new).__name__}")
    for key in new:
        if not isinstance(key, str):
            raise TypeError(f"run.{what} keys must be strings; got {key!r}")
    converted = to_config_value(new, what, Conversion())
    before = dict(_leaves(old, ())) if old else {}
    after = dict(_leaves(converted, ())) if converted else {}
    revisions: list[Revision] = []
    for path in before:
        if path and path not in after and not any(path[:i] in after for i in range(1, len(path))):
            revisions.append((revision_key(path), None, "api", "removed", None, now))
    for path, value in after.items():
        if path and (
            path not in before or before[path] != value or type(before[path]) is not type(value)
        ):
            revisions.append((revision_key(path), value, "api", None, None, now))
    return revisions


def _iso(timestamp: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).isoformat()
