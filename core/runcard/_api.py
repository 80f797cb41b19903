"""The read side, wandb.Api-compatible: find runs, read and edit them after the fact."""

from __future__ import annotations

import gc

from runcard import _settings
from runcard._api_runs import Runs, check_query, scope_of
from runcard._api_summary import ApiSummary
from runcard._config import _leaves, revision_key
from runcard._convert import Conversion, loads, to_config_value
from runcard._errors import RunNotFoundError, UsageError
from runcard._history_rows import HistoryScan, check_keys, chunk_rows
from runcard._importance import project_importance
from runcard._store import _fields

TYPE_CHECKING = False
if TYPE_CHECKING:
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
    """`Api(dir=None)` reads the store under `dir`, else $RUNCARD_DIR, else ~/.runcard.
    `Api(url="http://host:port", api_key=None)` reads a tracking server's runs instead (the key
    defaults to $RUNCARD_API_KEY)."""

    def __init__(
        self, dir: str | None = None, url: str | None = None, api_key: str | None = None
    ) -> None:
        self._store: Store | None = None
        if url is not None:
            import os

            from runcard._store._http import Client, RemoteStore

            key = api_key or os.environ.get(_settings.ENV_API_KEY) or None
            self._store = RemoteStore(Client(url, key))  # type: ignore[assignment]
            self._root = url
            return
        self._root = _settings.store_root(dir)

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
        if entity is None:  # `project/id` or an id: it may be in several projects
            filters = {"run_id": parts[-1], **({"project": project} if project else {})}
            rows = store.query_runs(None, None, filters, None)
            if len(rows) > 1:
                found = ", ".join(f"{r['entity']}/{r['project']}/{r['run_id']}" for r in rows)
                raise UsageError(
                    f"Api().run({path!r}): run id {parts[-1]!r} is in several projects "
                    f"({found}): give {'entity/' if project else ''}project/id"
                )
            row = rows[0] if rows else None
        else:
            row = store.find_run(entity, project, parts[-1])
        if row is None:
            raise RunNotFoundError(
                f"no run {path!r} in the store at {_settings.redacted(self._root)}"
            )
        return ApiRun(store, row)

    def runs(
        self,
        path: str | None = None,
        filters: dict[str, Any] | None = None,
        order: str | None = "-created_at",
        keys: list[str] | None = None,
        per_page: int = 50,
        limit: int | None = None,
    ) -> Runs:
        """Runs of `entity/project` (or `project`, or every project when None), filtered with
        MongoDB-style `filters` on config.*, summary.* and run fields, sorted by `order`, at
        most `limit` of them: a `Runs` that reads them `per_page` at a time (see `Runs`);
        `len()` counts them in the database.

        `keys` (such as `["config.lr", "summary"]`) reads only those parts of each run's config
        and summary: the fast way to compare thousands of runs. Such runs are read-only."""
        entity, project = scope_of(path)
        check_query((entity, project), filters, order, keys, per_page, limit)
        store = self._open()
        partial = keys is not None
        return Runs(
            store,
            (entity, project),
            filters,
            order,
            keys,
            per_page,
            limit,
            lambda row: ApiRun(store, row, partial=partial),
        )

    importance = project_importance  # (project, metric, filters=None, keys=None, seed=0)

    def projects(self, entity: str | None = None) -> list[Project]:
        return [
            Project(e, name, count)
            for e, name, count in self._open().projects()
            if entity is None or e == entity
        ]


class _Decoded:
    """A run's JSON document, decoded on first read and then kept as a plain attribute."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, run: ApiRun | None, owner: type | None = None) -> Any:
        if run is None:
            return self
        value = run._decode(self.field)
        run.__dict__[self.name] = value
        return value


class ApiRun:
    """A stored run. Edit `.config`, `.summary`, `.name`, `.tags`, `.notes`, then `.update()`."""

    # (editable attribute, the stored field it comes from)
    _EDITABLE = (
        ("name", "name"),
        ("tags", "tags"),
        ("notes", "notes"),
        ("group", "group_name"),
        ("job_type", "job_type"),
    )

    def __init__(self, store: Store, row: dict[str, Any], partial: bool = False) -> None:
        self._store = store
        self._partial = partial  # read with Api.runs(keys=...): only some keys, read-only
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
        self.sweep: str | None = row.get("sweep")  # the sweep that set its config, if any
        if self._partial:  # a projection: config and summary come decoded already
            self.__dict__["config"] = _user_keys(row["config"])
            self.__dict__["summary"] = row["summary"]

    def _decode(self, field: str) -> Any:
        raw = self._row[field]
        if isinstance(raw, dict):
            value = raw
            if field == "config":
                return _user_keys(raw)
        else:
            value = loads(raw)
            if field == "config":
                # no '"_' in the text: no key starts with "_", and testing the text is cheaper
                return _user_keys(value) if '"_' in raw else value
        return ApiSummary(self, value) if field == "summary" else value

    # Decoded when first read, then plain attributes: listing 10,000 runs to group them by a
    # key should not decode every run's host record. `config` and `summary` can be edited.
    config: dict[str, Any] = _Decoded("config")  # type: ignore[assignment]
    summary: dict[str, Any] = _Decoded("summary")  # type: ignore[assignment]
    descriptions: dict[str, str] = _Decoded("descriptions")  # type: ignore[assignment]
    metadata: dict[str, Any] = _Decoded("host")  # type: ignore[assignment]
    """Where the run ran: Python, host name, pid, argv, working directory, git state."""

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def created_at(self) -> str | None:
        return _iso(self._row["created_at"])

    @property
    def finished_at(self) -> str | None:
        return None if self._row["finished_at"] is None else _iso(self._row["finished_at"])

    @property
    def heartbeat_at(self) -> str | None:
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

    def scan_history(
        self,
        keys: list[str] | str | None = None,
        page_size: int = 1000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> HistoryScan:
        """Every history row in logged order, with `_step` and `_timestamp`, iterable again and
        again; with `keys` (a list, or one key), only the rows that hold all of them,
        restricted to them (and `_step`); `min_step <= _step < max_step` as in wandb.
        `page_size` is accepted for wandb's sake: rows are read a stored chunk at a time."""
        return HistoryScan(self._store, self._pk, check_keys(keys), min_step, max_step)

    def history(
        self, keys: list[str] | str | None = None, samples: int | None = None, pandas: bool = True
    ) -> Any:
        """The history as a pandas DataFrame (`pandas=False`: a list of row dicts), optionally
        thinned to about `samples` evenly spaced rows."""
        keys = check_keys(keys)
        rows: list[dict[str, Any]] = []
        collecting = gc.isenabled()
        gc.disable()  # nothing cyclic is built: tracing 100,000s of new dicts would only cost
        try:
            for steps, times, columns in self._store.history(self._pk, keys):
                rows.extend(chunk_rows(steps, times, columns, keys))
        finally:
            if collecting:
                gc.enable()
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

    def metric(self, key: str) -> tuple[list[int], list[Any]]:
        """(steps, values) of one logged key, read without touching the other keys."""
        steps_out: list[int] = []
        values_out: list[Any] = []
        for steps, _, columns in self._store.history(self._pk, [key], times=False):
            if key in columns:
                positions, values = columns[key]
                if isinstance(positions, range):  # the key is in every row of the chunk
                    steps_out.extend(steps)
                else:
                    steps_out.extend(map(steps.__getitem__, positions))
                values_out.extend(values)
        return steps_out, values_out

    # -- edits -----------------------------------------------------------------------------
    def update(self) -> None:
        """Store edits of config, summary, name, tags, notes, group and job_type, each recorded
        as a revision with source "api"; works while the run is live and after it ended."""
        if self._partial:
            raise UsageError(
                f"run {self.path} was read with Api.runs(keys=...), which holds only some of its "
                f"keys: read it whole with Api().run({self.path!r}) to edit it"
            )
        import time

        now = time.time()
        config_revisions = summary_revisions = []
        if "config" in self.__dict__:  # read, so perhaps edited
            saved = _user_keys(loads(self._row["config"]))
            config_revisions = _diff(saved, self.config, "config", now)
        if "summary" in self.__dict__:
            summary_revisions = _diff(loads(self._row["summary"]), self.summary, "summary", now)
        fields = {
            attribute: getattr(self, attribute)
            for attribute, stored in self._EDITABLE
            if getattr(self, attribute) != self._row[stored]
        }
        try:
            _fields.check_edit(fields)
        except UsageError as exc:
            raise UsageError(f"run {self.path}: {exc}") from None
        if config_revisions or summary_revisions or fields:
            self._store.edit_run(self._pk, fields, config_revisions, summary_revisions)
        self._refresh()

    def delete(self) -> None:
        self._store.delete_run(self._pk)

    def _refresh(self) -> None:
        row = self._store.find_run(self.entity, self.project, self.id)
        if row is None:
            raise RunNotFoundError(f"run {self.path} is no longer in the store")
        for attribute in ("config", "summary", "descriptions", "metadata"):
            self.__dict__.pop(attribute, None)  # decoded again from the new row when read
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


def _user_keys(config: dict[str, Any]) -> dict[str, Any]:
    if not any(map(_private, config)):
        return config
    return {k: v for k, v in config.items() if not k.startswith("_")}


def _private(key: str) -> bool:
    return key[:1] == "_"


def _iso(timestamp: Any) -> str | None:
    """A stored time as ISO text; None for one that is not a time (stored by an older version,
    or written into the database by hand), so that it cannot break reading the run."""
    import datetime

    try:
        return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None
