"""PostgreSQL's SQL for the filter tests of `_query`, matching and ordering runs as SQLite does.

Config and summary are json columns, kept as written (key order, number forms), and filters read
their jsonb copies, config_jsonb and summary_jsonb. A JSON key is read with `->`, which never
indexes an array (SQLite's quoted JSON paths never do either), into a jsonb value J that is SQL
NULL when the run lacks the key. SQLite reads the same key as an SQL-native value, true and
false as 1 and 0, and compares it with bound values as they are. The tests here rebuild that
from J:

* the text T = J #>> '{}' is NULL for a missing key and for a stored null, as json_extract is;
* the number N is J's number, or 1 and 0 for true and false, and NULL for anything else;
* an equality is NULL, not false, where SQLite's is (T is NULL), so $nin passes over such runs;
* orders put numbers (and booleans) before text, and missing keys and nulls last.

$regex patterns are those PostgreSQL's regular expressions and Python's read alike (`_regex`).

PostgreSQL's text cannot hold NUL, nor can jsonb: text is stored with NUL escaped as U+FFFF
"0" and U+FFFF itself as U+FFFF U+FFFF (`text`, `json_text`), and read back unescaped
(`read_text`, `read_json_text`). U+FFFF is a noncharacter, which text exchanged never holds;
a filter's values are escaped alike, so they match as written.
"""

from __future__ import annotations

import math
import re

from runcard._convert import dumps
from runcard._store._query import STALE_HEARTBEATS
from runcard._store._regex import LEADING_FLAGS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from runcard._store._query import Fragment, Target

NUMBER_FIELDS = {"created_at", "finished_at", "heartbeat_at", "exit_code"}

TEXT = "({j} #>> '{}')"
NUMBER = (
    "(CASE jsonb_typeof({j}) WHEN 'number' THEN ({j})::numeric"
    " WHEN 'boolean' THEN ({j})::boolean::int END)"
)
_NUMERIC_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def json_text(value: Any) -> str:
    """JSON text as SQLite's store writes it (±inf as ±1e999), its text escaped (see above)."""
    written = dumps(value)
    if "\\u0000" in written or _ESCAPE in written:
        return dumps(_escaped(value))
    return written


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    return value


def text(value: str) -> str:
    """`value` as a text column stores it: NUL and U+FFFF escaped."""
    if "\x00" in value or _ESCAPE in value:
        return value.replace(_ESCAPE, _ESCAPE * 2).replace("\x00", _ESCAPE + "0")
    return value


def read_text(value: str) -> str:
    """A text column's `value` as it was written."""
    return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "0" else _ESCAPE, value)


def read_json_text(value: str) -> str:
    """Stored JSON text as it was written (NUL as the escape JSON writes)."""
    if _ESCAPE not in value:
        return value
    return _ESCAPED.sub(lambda m: "\\u0000" if m.group(1) == "0" else _ESCAPE, value)


_ESCAPE = "\uffff"
_ESCAPED = re.compile("\uffff([\uffff0])")


def _fill(template: str, read: Fragment, *values: Any) -> Fragment:
    """`template` with each {j} replaced by the read's SQL. The params follow the placeholders:
    the read's params at each {j}, the next of `values` at each %s."""
    sql, read_params = read
    pieces = template.split("{j}")
    remaining = iter(values)
    params: list[Any] = []
    for index, piece in enumerate(pieces):
        params.extend(next(remaining) for _ in range(piece.count("%s")))
        if index < len(pieces) - 1:
            params.extend(read_params)
    return sql.join(pieces), params


def _pattern(pattern: str) -> str:
    """Python takes leading inline flags in several groups, as the CLI writes a negated pattern:
    (?s)(?i)...; PostgreSQL takes one group: (?si)..."""
    lead = LEADING_FLAGS.match(pattern)
    if lead is None:
        return text(pattern)
    letters = dict.fromkeys(char for char in lead.group(0) if char.isalpha())
    return text(f"(?{''.join(letters)})" + pattern[lead.end() :])


def _number(value: Any) -> Any:
    """A number to bind as a numeric, written as the stores write it (a float bound as such
    would be rounded to 15 digits): true and false as 1 and 0 and NaN as NULL, as SQLite binds
    them."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else dumps(value)
    return value


class PostgresDialect:
    true = "TRUE"
    false = "FALSE"

    def state(self, now: float) -> Fragment:
        return (
            "(CASE WHEN state = 'running' AND heartbeat_at < %s - "
            f"{STALE_HEARTBEATS} * heartbeat_interval THEN 'crashed' ELSE state END)",
            [now],
        )

    def _read(self, target: Target, now: float) -> tuple[str, Fragment]:
        """("json", "text" or "number"; the SQL that reads the target)."""
        column, rest = target
        if rest is not None:
            return "json", _path(f"{column}_jsonb", rest)
        if column == "state":
            return "text", self.state(now)
        return ("number" if column in NUMBER_FIELDS else "text"), (column, [])

    def exists(self, target: Target, now: float, present: bool) -> Fragment:
        _, read = self._read(target, now)
        return _fill(f"({{j}} IS {'NOT ' if present else ''}NULL)", read)

    def missing(self, target: Target, now: float) -> Fragment:
        kind, read = self._read(target, now)
        return _fill((TEXT if kind == "json" else "{j}") + " IS NULL", read)

    def equals(self, target: Target, now: float, value: Any) -> Fragment:
        kind, read = self._read(target, now)
        numeric = isinstance(value, (int, float))
        if kind == "json":
            if numeric:
                test, operand = f"coalesce({NUMBER} = %s::numeric, FALSE)", _number(value)
            else:
                test, operand = "{j} = %s::jsonb", json_text(value)
            return _fill(f"(CASE WHEN {TEXT} IS NULL THEN NULL ELSE {test} END)", read, operand)
        if kind == "text":  # SQLite compares a value with a text column as text
            if isinstance(value, str):
                operand = text(value)
            elif numeric:
                operand = repr(value) if isinstance(value, float) else str(int(value))
            else:
                operand = dumps(list(value) if isinstance(value, tuple) else value)
            return _fill("({j} = %s)", read, operand)
        if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
            value = float(value)  # SQLite reads text that looks like a number as one here
        if isinstance(value, (int, float)):
            return _fill("({j} = %s)", read, int(value) if isinstance(value, bool) else value)
        return _fill("({j} <> {j})", read)  # NULL for NULL, else false, as SQLite's

    def compare(self, target: Target, now: float, op: str, value: Any) -> Fragment:
        kind, read = self._read(target, now)
        if kind == "json":
            if isinstance(value, str):
                template = f"(jsonb_typeof({{j}}) = 'string' AND {TEXT} COLLATE \"C\" {op} %s)"
                return _fill(template, read, text(value))
            return _fill(f"({NUMBER} {op} %s::numeric)", read, _number(value))
        if isinstance(value, str) and kind == "text":
            return _fill(f'({{j}} COLLATE "C" {op} %s)', read, text(value))
        if not isinstance(value, str) and kind == "number":
            return _fill(f"({{j}} {op} %s)", read, value)
        return self.false, []  # like SQLite's: numbers and text never compare

    def regex(self, target: Target, now: float, pattern: str, python: str) -> Fragment:
        """PostgreSQL reads `pattern` as Python reads `python` (see `_regex`): ASCII classes
        are the "C" collation's."""
        kind, read = self._read(target, now)
        value = {"json": TEXT, "text": "{j}", "number": "{j}::text"}[kind]
        return _fill(f'({value} COLLATE "C" ~ %s)', read, _pattern(pattern))

    def has_tag(self, tag: str) -> Fragment:
        return "(runs.tags @> %s::jsonb)", [json_text([tag])]

    def order(self, target: Target, now: float, direction: str) -> Fragment:
        kind, read = self._read(target, now)
        if kind == "number":
            return _fill(f"({{j}}) IS NULL, {{j}} {direction}, pk {direction}", read)
        if kind == "text":
            return _fill(f'({{j}}) IS NULL, {{j}} COLLATE "C" {direction}, pk {direction}', read)
        numbers_first = "(jsonb_typeof({j}) NOT IN ('number', 'boolean'))"
        texts = f"(CASE WHEN jsonb_typeof({{j}}) IN ('string', 'object', 'array') THEN {TEXT} END)"
        return _fill(
            f"{TEXT} IS NULL, {numbers_first} {direction}, {NUMBER} {direction}, "
            f'{texts} COLLATE "C" {direction}, pk {direction}',
            read,
        )

    def projection(self, column: str, rest: str) -> Fragment:
        """Read from the json column: its text has the value as written (jsonb would print
        1e+20 back as 100000000000000000000, an int)."""
        return _fill("json_typeof({j}), ({j})::text", _path(column, rest))

    def number(self, column: str, rest: str) -> Fragment:
        """The key's value where it is a number (not true or false), else NULL."""
        template = "(CASE WHEN jsonb_typeof({j}) = 'number' THEN ({j})::numeric END)"
        return _fill(template, _path(f"{column}_jsonb", rest))


def _path(column: str, rest: str) -> Fragment:
    """The value at `rest` (dotted) in the json or jsonb `column`, NULL when missing."""
    parts = [text(part) for part in rest.split(".")]
    nested = column + " -> %s::text" * len(parts)
    if len(parts) == 1:
        return f"({nested})", parts
    # `config.a.b` reads {"a": {"b": ...}}, else a key stored with its dot: {"a.b": ...}
    return f"coalesce({nested}, {column} -> %s::text)", [*parts, text(rest)]


POSTGRES = PostgresDialect()
