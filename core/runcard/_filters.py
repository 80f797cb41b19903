"""The readable filter syntax (`config.lr>=0.01 and state=finished`) of `runcard runs --filter`
and the web app's filter box, parsed into the Api's MongoDB-style dicts.

The parser only ever builds dicts of keys, operators and Python values; the core compiles those
to SQL with bound parameters, so no text of a filter reaches SQL. The grammar (also printed by
`runcard runs --help`):

    expr  := and ("or" and)*              and  := unary ("and" unary)*
    unary := "(" expr ")" | cond          cond := KEY OP VALUE | KEY "?" | KEY "!?"
                                                | KEY ["not"] "in" "(" VALUE ("," VALUE)* ")"
"""

from __future__ import annotations

import re

from runcard._compare import RUN_FIELDS
from runcard._store._fields import STATES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TIME_FIELDS = ("created_at", "finished_at", "heartbeat_at")
# run fields holding text: a value given for one is compared as text (tags=1 is tags="1")
TEXT_FIELDS = tuple(f for f in RUN_FIELDS if f not in (*TIME_FIELDS, "exit_code"))
OPERATORS = ("!~", "!?", ">=", "<=", "!=", "==", "=", ">", "<", "~", "?")
COMPARISONS = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
_OPERATOR_CHARS = set("=<>!~?")
_STOP = set("(),'\"") | _OPERATOR_CHARS
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf", re.IGNORECASE)
_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
_INTEGER = re.compile(r"[+-]?\d+")
MAX_BRACKETS = 32  # nested ( ): the parser recurses once per level

FILTER_HELP = """\
filter syntax (--filter, repeatable; several filters must all match):
  KEY=VALUE   KEY!=VALUE   KEY>VALUE   KEY>=VALUE   KEY<VALUE   KEY<=VALUE
  KEY~REGEX   matches a regular expression (re.search); for tags: has the tag
  KEY!~REGEX  does not match; for tags: lacks the tag
  KEY?        the run has the key (even with a null value);  KEY!?  it has not
  KEY in (A, B, C)   KEY not in (A, B)
  EXPR and EXPR   EXPR or EXPR   ( EXPR )     ("and" binds tighter than "or")
KEY is config.<dotted.key>, summary.<key>, tags, state (running, finished, failed, stopped,
crashed) or a run field: id, name, group, job_type, notes, entity, project,
sweep, created_at, finished_at, exit_code, mode.
VALUE is read as null, true/false, a number or a [JSON, list]; anything else, or
anything in 'single' or "double" quotes, is a string. Quote values holding spaces,
commas or parentheses. KEY=null matches a stored null (not a missing key: KEY!?);
KEY!=VALUE also matches runs without the key. Times take ISO dates in local time
(created_at>=2025-01-31, created_at<"2025-01-31 18:00").
examples:
  --filter 'config.lr>=0.01' --filter state=finished --filter tags~baseline
  --filter 'config.opt in (adam, sgd) and summary.val_acc>0.9'
  --filter 'config.model.depth!?'"""


class FilterError(ValueError):
    """A filter expression that cannot be read; the message points at the column at fault."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        caret = " " * (position + 4) + "^"
        super().__init__(
            f"bad filter {text!r}: {reason} (column {position + 1})\n    {text}\n{caret}"
        )


def parse_filters(expressions: list[str]) -> dict[str, Any] | None:
    """One MongoDB-style dict for all `--filter` expressions (they must all match)."""
    parsed = [parse_filter(e) for e in expressions]
    if not parsed:
        return None
    return parsed[0] if len(parsed) == 1 else {"$and": parsed}


def parse_filter(text: str) -> dict[str, Any]:
    return _Parser(text).parse()


def check_key(key: str) -> str | None:
    """Why `key` cannot be filtered on, or None when it can."""
    head, _, rest = key.partition(".")
    if head in ("config", "summary"):
        return None if rest else f"{head} needs a key: {head}.<key>, such as {head}.lr"
    if key in RUN_FIELDS:
        return None
    return (
        f"unknown key {key!r}: use config.{key} or summary.{key}, tags, state, "
        f"or a run field ({', '.join(f for f in RUN_FIELDS if f not in ('tags', 'state'))})"
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, reason: str, position: int | None = None) -> FilterError:
        return FilterError(self.text, self.pos if position is None else position, reason)

    def parse(self) -> dict[str, Any]:
        if not self.text.strip():
            raise self.fail("the filter is empty")
        result = self.expr()
        self.skip()
        if self.pos < len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos :]!r}: join conditions with and / or")
        return result

    # -- characters ------------------------------------------------------------------------
    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def keyword(self, *words: str) -> str | None:
        """Consume one of the keywords `words` when it comes next as a whole word."""
        self.skip()
        for word in words:
            end = self.pos + len(word)
            if self.text[self.pos : end].lower() == word and (
                end == len(self.text) or self.text[end].isspace() or self.text[end] in "()"
            ):
                self.pos = end
                return word
        return None

    def quoted(self) -> str:
        quote, start = self.text[self.pos], self.pos
        out: list[str] = []
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == quote:
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail(f"unbalanced quote: the {quote} here is never closed", start)

    def bare(self, stop: set[str], what: str) -> str:
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in "'\"":
                raise self.fail(f"unexpected quote inside {what}: quote the whole {what}")
            if char.isspace() or char in stop:
                break
            self.pos += 1
        return self.text[start : self.pos]

    # -- grammar ---------------------------------------------------------------------------
    def expr(self) -> dict[str, Any]:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else {"$or": parts}

    def conjunction(self) -> dict[str, Any]:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def unary(self) -> dict[str, Any]:
        if self.peek() == "(":
            start = self.pos
            if self.depth == MAX_BRACKETS:
                raise self.fail(f"parentheses nest more than {MAX_BRACKETS} deep")
            self.depth += 1
            self.pos += 1
            inner = self.expr()
            if self.peek() != ")":
                raise self.fail("unbalanced parenthesis: this ( is never closed", start)
            self.pos += 1
            self.depth -= 1
            return inner
        return self.condition()

    def condition(self) -> dict[str, Any]:
        start = self.pos
        char = self.peek()
        if not char:
            raise self.fail("a condition is missing at the end")
        key = self.quoted() if char in "'\"" else self.bare(_STOP | set(")"), "key")
        if not key:
            raise self.fail(f"expected a key such as config.lr, found {char!r}")
        problem = check_key(key)
        if problem:
            raise self.fail(problem, start)
        if self.keyword("in"):
            return self.membership(key, "$in")
        if self.keyword("not"):
            if not self.keyword("in"):
                raise self.fail("expected 'in' after 'not'")
            return self.membership(key, "$nin")
        self.skip()
        op_at = self.pos
        op = next((o for o in OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            found = self.text[self.pos : self.pos + 8] or "the end"
            raise self.fail(
                f"expected an operator after {key!r} (= != > >= < <= ~ !~ ? !? in), found {found!r}"
            )
        self.pos += len(op)
        if op in ("?", "!?"):
            if key == "tags":
                raise self.fail("tags take =, !=, ~, !~, in and not in", op_at)
            return {key: {"$exists": op == "?"}}
        value_at = self.pos
        if op in ("~", "!~"):
            return _regex(self, key, op, self.regex_value(), value_at)
        value = self.value()
        return _compare(self, key, op, value, value_at)

    def membership(self, key: str, op: str) -> dict[str, Any]:
        if self.peek() != "(":
            raise self.fail(f"{'not in' if op == '$nin' else 'in'} takes a list: in (a, b)")
        self.pos += 1
        values = [self.value()]
        while self.peek() == ",":
            self.pos += 1
            values.append(self.value())
        if self.peek() != ")":
            raise self.fail("expected , or ) in the list")
        self.pos += 1
        values = [_coerce(self, key, v, self.pos) for v in values]
        if key == "state":
            for v in values:
                _check_state(self, v, self.pos)
        return {key: {op: values}}

    def value(self) -> Any:
        char = self.peek()
        if not char or char in ",)":
            raise self.fail("a value is missing")
        if char in "'\"":
            return _Quoted(self.quoted())
        if char in "[{":
            return self.literal()
        if char in _OPERATOR_CHARS:
            raise self.fail(f"a value cannot start with {char!r}: quote it if it does")
        start = self.pos
        text = self.bare(set("(),"), "value")
        if not text:
            raise self.fail(f"a value is missing before {char!r}")
        try:
            return _scalar(text)
        except ValueError:  # Python reads at most 4300 digits of an int
            raise self.fail(f"the number has {len(text)} digits, too many", start) from None

    def literal(self) -> Any:
        import json

        start, depth, quote = self.pos, 0, ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if quote:
                if char == "\\":
                    self.pos += 1
                elif char == quote:
                    quote = ""
            elif char == '"':
                quote = char
            elif char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    try:
                        return json.loads(self.text[start : self.pos])
                    except ValueError as exc:
                        raise self.fail(f"not a JSON value ({exc})", start) from None
                    except RecursionError:
                        raise self.fail("the JSON value nests too deeply", start) from None
        raise self.fail("unbalanced bracket: this list or object is never closed", start)

    def regex_value(self) -> str:
        if self.peek() in ("'", '"'):
            return self.quoted()
        start, depth = self.pos, 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char.isspace() or (char == ")" and depth == 0):
                break
            if char == "\\":
                self.pos += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            self.pos += 1
        if self.pos == start:
            raise self.fail("a regular expression is missing")
        return self.text[start : self.pos]


class _Quoted(str):
    """A value given in quotes: always a string."""


def _scalar(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("null", "none"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    return text


def _coerce(parser: _Parser, key: str, value: Any, at: int) -> Any:
    """Run-field values as the store keeps them: times as POSIX seconds, tags and ids as text."""
    if isinstance(value, _Quoted):
        value = str(value)
    if key in TIME_FIELDS and isinstance(value, str):
        import datetime

        try:
            return datetime.datetime.fromisoformat(value).timestamp()
        except ValueError:
            raise parser.fail(
                f"{key} takes an ISO date such as 2025-01-31 or '2025-01-31 18:00', not {value!r}",
                at,
            ) from None
    if key in TEXT_FIELDS and value is not None and not isinstance(value, str):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def _check_state(parser: _Parser, value: Any, at: int) -> None:
    if value not in STATES:
        raise parser.fail(f"state {value!r} does not exist: use one of {', '.join(STATES)}", at)


def _compare(parser: _Parser, key: str, op: str, raw: Any, at: int) -> dict[str, Any]:
    value = _coerce(parser, key, raw, at)
    if key == "state":
        _check_state(parser, value, at)
    if key == "tags":
        if op in COMPARISONS:
            raise parser.fail("tags take =, !=, ~, !~, in and not in", at)
        return {"tags": value if op in ("=", "==") else {"$ne": value}}
    if op in ("=", "=="):
        if value is None:  # a stored null, not a missing key
            return {"$and": [{key: None}, {key: {"$exists": True}}]}
        return {key: value}
    if op == "!=":
        return {key: {"$ne": value}}
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise parser.fail(f"{op} compares numbers or strings, not {raw!r}", at)
    return {key: {COMPARISONS[op]: value}}


def _regex(parser: _Parser, key: str, op: str, pattern: str, at: int) -> dict[str, Any]:
    if key == "tags":
        return {"tags": pattern if op == "~" else {"$ne": pattern}}
    try:
        re.compile(pattern)
    except re.error as exc:
        raise parser.fail(f"not a regular expression: {exc}", at) from None
    if op == "!~":  # no $not in the filter language: a lookahead that fails where it matches
        flags = _GLOBAL_FLAGS.match(pattern)
        lead = flags.group(0) if flags else ""
        pattern = f"(?s){lead}^(?!.*?(?:{pattern[len(lead) :]}))"
    return {key: {"$regex": pattern}}
