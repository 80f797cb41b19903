"""MongoDB-style run filters and orders compiled to SQL with bound parameters.

Keys are checked against the run fields or read as JSON paths into `config` / `summary`; every
value and every JSON path travels as a bound parameter, so no user text ever becomes SQL.
A fragment is a pair (sql, params) whose params follow the order of the placeholders in its sql.

This module walks the filter and checks it; a dialect writes each test in its database's SQL:
`SQLITE` below, PostgreSQL's in `_pg_query`. A key reaches the dialect as a target
`(column, rest)`: `("config", "a.b")` for a JSON path, `("name", None)` for a run field, and
`("state", None)` for the state a reader sees.
"""

from __future__ import annotations

import math

from runcard._convert import dumps, is_json_int
from runcard._errors import UsageError
from runcard._store._regex import python_pattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    Fragment = tuple[str, list[Any]]
    Target = tuple[str, str | None]

    class Dialect(Protocol):
        true: str
        false: str

        def state(self, now: float) -> Fragment: ...
        def exists(self, target: Target, now: float, present: bool) -> Fragment: ...
        def missing(self, target: Target, now: float) -> Fragment: ...
        def equals(self, target: Target, now: float, value: Any) -> Fragment: ...
        def compare(self, target: Target, now: float, op: str, value: Any) -> Fragment: ...
        def regex(self, target: Target, now: float, pattern: str, python: str) -> Fragment: ...
        def has_tag(self, tag: str) -> Fragment: ...
        def order(self, target: Target, now: float, direction: str) -> Fragment: ...
        def projection(self, column: str, rest: str) -> Fragment: ...
        def number(self, column: str, rest: str) -> Fragment: ...


RUN_FIELDS = {
    "id": "run_id",
    "run_id": "run_id",
    "name": "name",
    "display_name": "name",
    "displayName": "name",
    "group": "group_name",
    "job_type": "job_type",
    "jobType": "job_type",
    "notes": "notes",
    "entity": "entity",
    "project": "project",
    "created_at": "created_at",
    "createdAt": "created_at",
    "finished_at": "finished_at",
    "heartbeat_at": "heartbeat_at",
    "exit_code": "exit_code",
    "mode": "mode",
    "sweep": "sweep",
}
JSON_COLUMNS = {"config": "config", "summary": "summary", "summary_metrics": "summary"}
COMPARISONS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
OPERATORS = sorted([*COMPARISONS, "$eq", "$ne", "$in", "$nin", "$exists", "$regex"])
STALE_HEARTBEATS = 3
MAX_LIST = 500  # values in one $in / $nin
# SQLite reads `a OR b OR c` as nested pairs and refuses an expression more than 1000 deep, and
# its parser runs out of stack at about 40 nested parentheses: a filter holds at most MAX_VALUES
# values and nests dicts and lists at most MAX_NESTING deep (16 levels of $and / $or).
MAX_VALUES = 800
MAX_NESTING = 32


def state_sql(now: float) -> Fragment:
    """The state a reader sees: a running run whose heartbeat is stale has crashed."""
    return (
        "(CASE WHEN state = 'running' AND heartbeat_at < ? - "
        f"{STALE_HEARTBEATS} * heartbeat_interval THEN 'crashed' ELSE state END)",
        [now],
    )


def json_path(parts: list[str]) -> str:
    return "$" + "".join('."' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in parts)


def _json_read(function: str, column: str, rest: str) -> Fragment:
    parts = rest.split(".")
    if len(parts) == 1:
        return f"{function}({column}, ?)", [json_path(parts)]
    # `config.a.b` reads {"a": {"b": ...}}, else a key stored with its dot: {"a.b": ...}
    nested, dotted = json_path(parts), json_path([rest])
    return (
        f"(CASE WHEN json_type({column}, ?) IS NOT NULL THEN {function}({column}, ?) "
        f"ELSE {function}({column}, ?) END)",
        [nested, nested, dotted],
    )


class SQLiteDialect:
    """json_extract gives SQL-native values (true and false read as 1 and 0), and SQLite
    compares them with bound values as they are."""

    true = "1"
    false = "0"

    def state(self, now: float) -> Fragment:
        return state_sql(now)

    def read(self, target: Target, now: float, function: str = "json_extract") -> Fragment:
        column, rest = target
        if rest is not None:
            return _json_read(function, column, rest)
        return self.state(now) if column == "state" else (column, [])

    def exists(self, target: Target, now: float, present: bool) -> Fragment:
        sql, params = self.read(target, now, function="json_type")
        return f"({sql} IS {'NOT ' if present else ''}NULL)", params

    def missing(self, target: Target, now: float) -> Fragment:
        sql, params = self.read(target, now)
        return f"{sql} IS NULL", params

    def equals(self, target: Target, now: float, value: Any) -> Fragment:
        sql, params = self.read(target, now)
        if isinstance(value, (list, dict, tuple)):
            value = dumps(list(value) if isinstance(value, tuple) else value)
        return f"({sql} = ?)", [*params, _bindable(value)]

    def compare(self, target: Target, now: float, op: str, value: Any) -> Fragment:
        sql, params = self.read(target, now)
        kinds = "('text')" if isinstance(value, str) else "('integer', 'real')"
        # SQLite orders any number below any text; MongoDB compares like with like only
        return f"(typeof({sql}) IN {kinds} AND {sql} {op} ?)", [*params, *params, _bindable(value)]

    def regex(self, target: Target, now: float, pattern: str, python: str) -> Fragment:
        sql, params = self.read(target, now)
        return f"({sql} REGEXP ?)", [*params, python]

    def has_tag(self, tag: str) -> Fragment:
        return "EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE json_each.value = ?)", [tag]

    def order(self, target: Target, now: float, direction: str) -> Fragment:
        sql, params = self.read(target, now)
        return f"({sql}) IS NULL, {sql} {direction}, pk {direction}", [*params, *params]

    def projection(self, column: str, rest: str) -> Fragment:
        type_sql, type_params = _json_read("json_type", column, rest)
        value_sql, value_params = _json_read("json_extract", column, rest)
        return f"{type_sql}, {value_sql}", [*type_params, *value_params]

    def number(self, column: str, rest: str) -> Fragment:
        """The key's value where it is a number (not true or false), else NULL."""
        type_sql, type_params = _json_read("json_type", column, rest)
        value_sql, value_params = _json_read("json_extract", column, rest)
        return (
            f"(CASE WHEN {type_sql} IN ('integer', 'real') THEN {value_sql} END)",
            [*type_params, *value_params],
        )


SQLITE = SQLiteDialect()


def _bindable(value: Any) -> Any:
    """SQLite binds ints of up to 64 bits; json_extract reads a longer JSON number as a real."""
    if type(value) is int and not -(2**63) <= value < 2**63:
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    return value


def target_of(key: Any) -> Target:
    """The target of a filter or order key: config.*, summary.*, state or a run field."""
    if not isinstance(key, str) or not key:
        raise UsageError(f"filter key {key!r} must be a non-empty string")
    head, _, rest = key.partition(".")
    if head in JSON_COLUMNS and rest:
        return JSON_COLUMNS[head], rest
    if key == "state":
        return "state", None
    if key in RUN_FIELDS:
        return RUN_FIELDS[key], None
    raise UsageError(
        f"unknown filter key {key!r}: use config.<key>, summary.<key>, tags, state or one of "
        f"{', '.join(sorted(RUN_FIELDS))}"
    )


def _check_value(value: Any, key: str) -> None:
    if not (value is None or isinstance(value, (str, int, float, list, dict, tuple))):
        raise UsageError(f"filter value {value!r} for {key!r} must be a JSON value")


def _eq(dialect: Dialect, target: Target, now: float, value: Any, key: str) -> Fragment:
    _check_value(value, key)
    if value is None:
        sql, params = dialect.missing(target, now)
        return f"({sql})", params
    return dialect.equals(target, now, value)


def _join(fragments: list[Fragment], joiner: str, dialect: Dialect) -> Fragment:
    if not fragments:
        return (dialect.true, []) if joiner == " AND " else (dialect.false, [])
    return (
        "(" + joiner.join(sql for sql, _ in fragments) + ")",
        [p for _, params in fragments for p in params],
    )


def check_size(filters: Any, max_values: int = MAX_VALUES, max_nesting: int = MAX_NESTING) -> None:
    """UsageError for a filter past the bounds (read without recursion). A caller that wraps
    filters in its own passes lower bounds for the ones it is given."""
    values = 0
    stack: list[tuple[Any, int]] = [(filters, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            values += 1
            if type(node) is int and not is_json_int(node):
                raise UsageError(
                    f"the filter holds an int of {node.bit_length()} bits: too long to compare"
                )
            continue
        if depth > max_nesting:
            raise UsageError(
                f"the filter nests more than {max_nesting} levels deep (dicts and lists, two per "
                "$and / $or): flatten it"
            )
        stack.extend((child, depth + 1) for child in children)
    if values > max_values:
        raise UsageError(
            f"the filter holds {values} values, more than the {max_values} one query takes: "
            "split it into several queries"
        )


def where_sql(filters: Any, now: float, dialect: Dialect = SQLITE) -> Fragment:
    """The WHERE clause of `filters`, which `check_size` has passed (`_common.scoped` checks)."""
    if not filters:
        return dialect.true, []
    if not isinstance(filters, dict):
        raise UsageError(f"filters must be a dict, got {type(filters).__name__}")
    clauses = []
    for key, condition in filters.items():
        if key in ("$and", "$or"):
            if not isinstance(condition, list) or not condition:
                raise UsageError(f"{key} takes a non-empty list of filters")
            clauses.append(
                _join(
                    [where_sql(f, now, dialect) for f in condition],
                    f" {key[1:].upper()} ",
                    dialect,
                )
            )
        elif isinstance(key, str) and key.startswith("$"):
            raise UsageError(f"unknown filter operator {key!r}: use $and or $or at the top level")
        elif key == "tags":
            clauses.append(_tags(condition, dialect))
        else:
            clauses.append(_condition(key, condition, now, dialect))
    return _join(clauses, " AND ", dialect)


def _operators(condition: Any) -> dict[str, Any]:
    if (
        isinstance(condition, dict)
        and condition
        and all(isinstance(k, str) and k.startswith("$") for k in condition)
    ):
        return condition
    return {"$eq": condition}


def _condition(key: str, condition: Any, now: float, dialect: Dialect) -> Fragment:
    target = target_of(key)
    parts: list[Fragment] = []
    for op, operand in _operators(condition).items():
        if op == "$exists":
            parts.append(dialect.exists(target, now, bool(operand)))
        elif op == "$eq":
            parts.append(_eq(dialect, target, now, operand, key))
        elif op == "$ne":
            sql, params = _eq(dialect, target, now, operand, key)
            if operand is None:
                parts.append((f"(NOT {sql})", params))
            else:  # like MongoDB, $ne also matches runs that lack the key
                missing, missing_params = dialect.missing(target, now)
                parts.append((f"(NOT {sql} OR {missing})", [*params, *missing_params]))
        elif op in ("$in", "$nin"):
            if not isinstance(operand, (list, tuple)):
                raise UsageError(f"{op} on {key!r} takes a list, got {operand!r}")
            if len(operand) > MAX_LIST:  # each value is a term: SQLite caps an expression's depth
                raise UsageError(
                    f"{op} on {key!r} takes at most {MAX_LIST} values, got {len(operand)}: "
                    "split the query"
                )
            sql, params = _join(
                [_eq(dialect, target, now, v, key) for v in operand], " OR ", dialect
            )
            parts.append((sql, params) if op == "$in" else (f"(NOT {sql})", params))
        elif op in COMPARISONS:
            if isinstance(operand, bool) or not isinstance(operand, (int, float, str)):
                raise UsageError(
                    f"comparison on {key!r} needs a number or a string, got {operand!r}"
                )
            parts.append(dialect.compare(target, now, COMPARISONS[op], operand))
        elif op == "$regex":
            if not isinstance(operand, str):
                raise UsageError(f"$regex on {key!r} takes a string pattern")
            parts.append(dialect.regex(target, now, operand, python_pattern(operand)))
        else:
            raise UsageError(
                f"unknown filter operator {op!r} on {key!r}: use one of {', '.join(OPERATORS)}"
            )
    return _join(parts, " AND ", dialect)


def _tags(condition: Any, dialect: Dialect) -> Fragment:
    """`tags` holds a list: {"tags": "x"} and {"tags": {"$in": [...]}} test membership."""
    parts: list[Fragment] = []
    for op, operand in _operators(condition).items():
        values = operand if isinstance(operand, (list, tuple)) else [operand]
        if op in ("$eq", "$in"):
            parts.append(_join([dialect.has_tag(str(v)) for v in values], " OR ", dialect))
        elif op in ("$ne", "$nin"):
            lacks = []
            for v in values:
                has, params = dialect.has_tag(str(v))
                lacks.append((f"NOT {has}", params))
            parts.append(_join(lacks, " AND ", dialect))
        else:
            raise UsageError(f"tags take $eq, $ne, $in or $nin, not {op!r}")
    return _join(parts, " AND ", dialect)


def order_sql(order: Any, now: float, dialect: Dialect = SQLITE) -> Fragment:
    """`-created_at`, `+summary.loss`, `config.lr`: missing values sort last."""
    if not order:
        return "created_at DESC, pk DESC", []
    if not isinstance(order, str):
        raise UsageError(f"order must be a string such as '-created_at', got {order!r}")
    descending = order.startswith("-")
    target = target_of(order.lstrip("+-"))
    return dialect.order(target, now, "DESC" if descending else "ASC")


def check_keys(keys: Any) -> None:
    """UsageError unless `keys` (of `query_runs(keys=...)`) is a list of `config`, `summary`,
    `config.<dotted key>` and `summary.<dotted key>`."""
    if keys is None:
        return
    if not isinstance(keys, (list, tuple)):
        raise UsageError(f"keys must be a list such as ['config.lr', 'summary'], got {keys!r}")
    for key in keys:
        if not isinstance(key, str) or key.partition(".")[0] not in ("config", "summary"):
            raise UsageError(f"keys: {key!r} is not config, summary, config.<key> or summary.<key>")


def projection_sql(column: str, rest: str, dialect: Dialect = SQLITE) -> Fragment:
    """Two columns for `column`'s key `rest` (dotted): its JSON type (NULL when the run lacks
    it) and its value (for SQLite: SQL-native for scalars, JSON text for objects and arrays).
    `config.a.b` reads {"a": {"b": ...}}, else a key stored with its dot."""
    return dialect.projection(column, rest)
