"""Reading keys out of runs for the CLI, and the text a value shows as. A missing key
(`MISSING`) and a stored null (`None`) stay apart; see `_compare`."""

from __future__ import annotations

import json
import math

from runcard._cli._output import CliError
from runcard._compare import MISSING, RUN_FIELDS, flatten_stored, lookup

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from runcard import Api, ApiRun

FIELDS = ("path", *RUN_FIELDS)


def value_of(run: ApiRun, key: str) -> Any:
    """The value of a full key (`config.lr`, `summary.loss`, `state`, `path`) in a run."""
    head, _, rest = key.partition(".")
    if head == "config" and rest:
        return lookup(run.config, rest)
    if head == "summary" and rest:
        return lookup(run.summary, rest)
    if key in FIELDS:
        return getattr(run, key, MISSING)
    return MISSING


def getter(key: str) -> Callable[[ApiRun], Any]:
    """`value_of(run, key)` as a function of the run, with the key parsed once."""
    head, _, rest = key.partition(".")
    if head in ("config", "summary") and rest and "." not in rest:
        if head == "config":
            return lambda run: run.config.get(rest, MISSING)
        return lambda run: run.summary.get(rest, MISSING)
    return lambda run: value_of(run, key)


def resolve_key(name: str, runs: list[ApiRun], what: str) -> str:
    """A full key for `name`: as given when it names config.*, summary.* or a run field, else the
    config key of that name, else the summary key; a key that no run has is an error."""
    head, dot, rest = name.partition(".")
    if name in FIELDS:
        return name
    if head in ("config", "summary") and dot and rest:
        if any(value is not MISSING for value in map(getter(name), runs)):
            return name
        candidates = [name]
    else:
        candidates = [f"config.{name}", f"summary.{name}"]
        for key in candidates:
            if any(value is not MISSING for value in map(getter(key), runs)):
                return key
    raise KeyNotFound(name, what, known_keys(runs))


class KeyNotFound(LookupError):
    """No run in the selection has the key; the message suggests close names."""

    def __init__(self, name: str, what: str, known: Iterable[str]) -> None:
        import difflib

        known = list(known)
        short = {k.partition(".")[2]: k for k in known if k.startswith(("config.", "summary."))}
        bare = name.partition(".")[2] if name.startswith(("config.", "summary.")) else name
        close = [k for k in short if bare and (bare in k or _initials(k) == bare)]
        close += difflib.get_close_matches(bare, list(short), n=3, cutoff=0.6)
        close = list(dict.fromkeys(short.get(c, c) for c in close))[:3]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"{what} {name!r}: no run in the selection has that key{hint}")
        self.name = name


def _initials(key: str) -> str:
    """`learning_rate` -> `lr`, for suggestions."""
    return "".join(part[0] for part in key.replace("-", "_").replace(".", "_").split("_") if part)


def known_keys(runs: Iterable[ApiRun]) -> list[str]:
    keys: dict[str, None] = {}
    for run in runs:
        keys.update(dict.fromkeys(f"config.{k}" for k in flatten_stored(run.config)))
        keys.update(dict.fromkeys(f"summary.{k}" for k in flatten_stored(run.summary)))
    return list(keys)


def _ambiguous(text: str) -> bool:
    if text in ("", "-", "<missing>") or text != text.strip():
        return True
    try:
        return not isinstance(json.loads(text), str)
    except ValueError:
        return False


def show(value: Any, missing: str = "-") -> str:
    """A value as a table cell: strings bare unless they would read as another type, numbers as
    stored, None as null, lists and objects as JSON."""
    if value is MISSING:
        return missing
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _ambiguous(value) else value
    if isinstance(value, float):
        return _float(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def number(value: float | None, places: int | None = None) -> str:
    """An aggregate for reading: `places` decimals when given (see `decimals`), else four
    significant digits."""
    if value is None:
        return "-"
    if math.isnan(value) or math.isinf(value):
        return _float(value)
    if places is not None:
        return f"{value:.{places}f}"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4g}"


def decimals(values: Iterable[float | None]) -> int | None:
    """Decimals that show the largest of `values` with four significant digits, so a column's
    numbers line up; None (four significant digits each) for very large or very small ones."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return None
    exponent = math.floor(math.log10(max(finite)))
    if exponent >= 6 or exponent < -3:
        return None
    return max(0, 3 - exponent)


def local_time(iso: str | None, seconds: bool = True) -> str:
    """An ISO timestamp from the Api in the local time zone, as `2025-01-31 18:02:07`."""
    if not iso:
        return "-"
    import datetime

    moment = datetime.datetime.fromisoformat(iso).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "-"
    import datetime

    seconds = (
        datetime.datetime.fromisoformat(end) - datetime.datetime.fromisoformat(start)
    ).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def find_run(api: Api, text: str) -> ApiRun:
    """The run that RUN names: entity/project/id, project/id, or an id that must be unique."""
    if "/" not in text.strip("/"):
        matches = list(api.runs(None, filters={"id": text.strip("/")}, order=None))
        if len(matches) > 1:
            paths = ", ".join(r.path for r in matches)
            raise CliError(f"run id {text!r} is in several projects ({paths}): give project/id")
        if matches:
            return matches[0]
    return api.run(text)
