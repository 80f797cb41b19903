"""MongoDB-style run filters and orders compiled to SQL with bound parameters.

Keys are checked against the run fields or read as JSON paths into `config` / `summary`; every
value and every JSON path travels as a bound parameter, so no user text ever becomes SQL.
A fragment is a pair (sql, params) whose params follow the order of the `?` in its sql.
"""

from __future__ import annotations

from runcard._convert import dumps
from runcard._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Fragment = tuple[str, list[Any]]

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
}
JSON_COLUMNS = {"config": "config", "summary": "summary", "summary_metrics": "summary"}
COMPARISONS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
OPERATORS = sorted([*COMPARISONS, "$eq", "$ne", "$in", "$nin", "$exists", "$regex"])
STALE_HEARTBEATS = 3


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


def key_sql(key: Any, now: float, function: str = "json_extract") -> Fragment:
    """The SQL value of a filter or order key: config.*, summary.*, state or a run field."""
    if not isinstance(key, str) or not key:
        raise UsageError(f"filter key {key!r} must be a non-empty string")
    head, _, rest = key.partition(".")
    if head in JSON_COLUMNS and rest:
        return _json_read(function, JSON_COLUMNS[head], rest)
    if key == "state":
        return state_sql(now)
    if key in RUN_FIELDS:
        return RUN_FIELDS[key], []
    raise UsageError(
        f"unknown filter key {key!r}: use config.<key>, summary.<key>, tags, state or one of "
        f"{', '.join(sorted(RUN_FIELDS))}"
    )


def _scalar(value: Any, key: str) -> Any:
    if isinstance(value, (list, dict, tuple)):
        return dumps(list(value) if isinstance(value, tuple) else value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise UsageError(f"filter value {value!r} for {key!r} must be a JSON value")


def _eq(expr: Fragment, value: Any, key: str) -> Fragment:
    sql, params = expr
    if value is None:
        return f"({sql} IS NULL)", list(params)
    return f"({sql} = ?)", [*params, _scalar(value, key)]


def _compare(expr: Fragment, op: str, value: Any, key: str) -> Fragment:
    sql, params = expr
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError(f"comparison on {key!r} needs a number or a string, got {value!r}")
    kinds = "('text')" if isinstance(value, str) else "('integer', 'real')"
    # SQLite orders any number below any text; MongoDB compares like with like only
    return f"(typeof({sql}) IN {kinds} AND {sql} {op} ?)", [*params, *params, value]


def _join(fragments: list[Fragment], joiner: str) -> Fragment:
    if not fragments:
        return ("1", []) if joiner == " AND " else ("0", [])
    return (
        "(" + joiner.join(sql for sql, _ in fragments) + ")",
        [p for _, params in fragments for p in params],
    )


def where_sql(filters: Any, now: float) -> Fragment:
    if not filters:
        return "1", []
    if not isinstance(filters, dict):
        raise UsageError(f"filters must be a dict, got {type(filters).__name__}")
    clauses = []
    for key, condition in filters.items():
        if key in ("$and", "$or"):
            if not isinstance(condition, list) or not condition:
                raise UsageError(f"{key} takes a non-empty list of filters")
            clauses.append(_join([where_sql(f, now) for f in condition], f" {key[1:].upper()} "))
        elif isinstance(key, str) and key.startswith("$"):
            raise UsageError(f"unknown filter operator {key!r}: use $and or $or at the top level")
        elif key == "tags":
            clauses.append(_tags(condition))
        else:
            clauses.append(_condition(key, condition, now))
    return _join(clauses, " AND ")


def _operators(condition: Any) -> dict[str, Any]:
    if (
        isinstance(condition, dict)
        and condition
        and all(isinstance(k, str) and k.startswith("$") for k in condition)
    ):
        return condition
    return {"$eq": condition}


def _condition(key: str, condition: Any, now: float) -> Fragment:
    parts: list[Fragment] = []
    for op, operand in _operators(condition).items():
        if op == "$exists":
            sql, params = key_sql(key, now, function="json_type")
            parts.append((f"({sql} IS {'NOT ' if operand else ''}NULL)", params))
            continue
        expr = key_sql(key, now)
        if op == "$eq":
            parts.append(_eq(expr, operand, key))
        elif op == "$ne":
            sql, params = _eq(expr, operand, key)
            if operand is None:
                parts.append((f"(NOT {sql})", params))
            else:  # like MongoDB, $ne also matches runs that lack the key
                parts.append((f"(NOT {sql} OR {expr[0]} IS NULL)", [*params, *expr[1]]))
        elif op in ("$in", "$nin"):
            if not isinstance(operand, (list, tuple)):
                raise UsageError(f"{op} on {key!r} takes a list, got {operand!r}")
            sql, params = _join([_eq(expr, v, key) for v in operand], " OR ")
            parts.append((sql, params) if op == "$in" else (f"(NOT {sql})", params))
        elif op in COMPARISONS:
            parts.append(_compare(expr, COMPARISONS[op], operand, key))
        elif op == "$regex":
            if not isinstance(operand, str):
                raise UsageError(f"$regex on {key!r} takes a string pattern")
            parts.append((f"({expr[0]} REGEXP ?)", [*expr[1], operand]))
        else:
            raise UsageError(
                f"unknown filter operator {op!r} on {key!r}: use one of {', '.join(OPERATORS)}"
            )
    return _join(parts, " AND ")


def _tags(condition: Any) -> Fragment:
    """`tags` holds a list: {"tags": "x"} and {"tags": {"$in": [...]}} test membership."""
    has = "EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE json_each.value = ?)"
    parts: list[Fragment] = []
    for op, operand in _operators(condition).items():
        values = operand if isinstance(operand, (list, tuple)) else [operand]
        if op in ("$eq", "$in"):
            parts.append(_join([(has, [str(v)]) for v in values], " OR "))
        elif op in ("$ne", "$nin"):
            parts.append(_join([(f"NOT {has}", [str(v)]) for v in values], " AND "))
        else:
            raise UsageError(f"tags take $eq, $ne, $in or $nin, not {op!r}")
    return _join(parts, " AND ")


def order_sql(order: Any, now: float) -> Fragment:
    """`-created_at`, `+summary.loss`, `config.lr`: missing values sort last."""
    if not order:
        return "created_at DESC, pk DESC", []
    if not isinstance(order, str):
        raise UsageError(f"order must be a string such as '-created_at', got {order!r}")
    descending = order.startswith("-")
    key = order.lstrip("+-")
    sql, params = key_sql(key, now)
    direction = "DESC" if descending else "ASC"
    return f"({sql}) IS NULL, {sql} {direction}, pk {direction}", [*params, *params]


def projection_sql(column: str, rest: str) -> Fragment:
    """Two columns for `column`'s key `rest` (dotted): its JSON type (NULL when the run lacks
    it) and its value (SQL-native for scalars, JSON text for objects and arrays). `config.a.b`
    reads {"a": {"b": ...}}, else a key stored with its dot."""
    type_sql, type_params = _json_read("json_type", column, rest)
    value_sql, value_params = _json_read("json_extract", column, rest)
    return f"{type_sql}, {value_sql}", [*type_params, *value_params]
