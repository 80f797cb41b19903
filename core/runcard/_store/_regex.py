"""What a `$regex` filter means, the same on SQLite and PostgreSQL.

A pattern is Python's `re`, searched anywhere in the value, read with ASCII classes (`\\w`, `\\d`,
`\\s` and `(?i)` know ASCII only) and `.` matching a newline, with `$` only at the value's end.
That is also how PostgreSQL's regular expressions read it (against text in the "C" collation),
so both databases answer alike. A construct the two read differently is refused with a
UsageError that says what to write instead: `\\b` and `\\B` (a backspace and a backslash to
PostgreSQL), named groups, flags other than a leading `(?i)` and `(?s)`, atomic and
conditional groups, possessive quantifiers, `{,n}`, `[:`, `[=` and `[.` in a class,
`\\N{...}`, and `\\x` followed by more than two hex digits.
"""

from __future__ import annotations

import re
import warnings

from runcard._errors import UsageError

FLAGS = re.ASCII | re.DOTALL  # with which SQLite's REGEXP runs a pattern `python_pattern` gave
LEADING_FLAGS = re.compile(r"(?:\(\?[a-zA-Z]+\))+")
_HEX = frozenset("0123456789abcdefABCDEF")


def python_pattern(pattern: str) -> str:
    """`pattern` checked, as Python runs it with FLAGS to mean what PostgreSQL reads: UsageError
    for a pattern that is not a regular expression, or that PostgreSQL would read otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # [[ : refused below
            re.compile(pattern, FLAGS)
    except re.error as exc:
        raise UsageError(f"$regex {pattern!r} is not a regular expression: {exc}") from None
    lead = LEADING_FLAGS.match(pattern)
    start = lead.end() if lead else 0
    if lead and set(lead.group(0)) - set("(?is)"):
        _refuse(pattern, "flags other than (?i) and (?s)", "leave the others out")
    out = [pattern[:start]]
    index, in_class = start, False
    while index < len(pattern):
        char = pattern[index]
        pair = pattern[index : index + 2]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if not in_class and escaped in ("b", "B"):
                _refuse(pattern, f"\\{escaped}", "write a lookaround such as (?<![A-Za-z0-9_])")
            if escaped == "N":
                _refuse(pattern, "\\N{...}", "write the character itself")
            if escaped == "x" and pattern[index + 4 : index + 5] in _HEX:
                _refuse(pattern, "\\x with more than two hex digits", "write \\u or \\U")
            out.append(pair)
            index += 2
            continue
        if in_class:
            if char == "]":  # past the class's first character, a `]` closes it
                in_class = False
            elif pair in ("[:", "[=", "[."):
                _refuse(pattern, f"{pair} in a class", f"write \\{pair[0]} for the character")
        elif char == "[":
            in_class = True
            out.append(pattern[index : _class_body(pattern, index)])
            index = _class_body(pattern, index)
            continue
        elif char == "$":
            char = r"\Z"  # Python's $ also matches before a final newline, PostgreSQL's not
        elif pair == "(?":
            _check_group(pattern, index)
        elif pair == "{,":
            _refuse(pattern, "{,n}", "write {0,n}")
        elif char in "*+?}" and pattern[index + 1 : index + 2] == "+":
            _refuse(pattern, "possessive quantifiers", "write a plain quantifier")
        out.append(char)
        index += 1
    return "".join(out)


def _class_body(pattern: str, index: int) -> int:
    """Where the first character of the class opened at `index` starts, past `[`, `[^` and a
    leading `]` (a literal there, to both)."""
    index += 1
    if pattern[index : index + 1] == "^":
        index += 1
    if pattern[index : index + 1] == "]":
        index += 1
    return index


def _check_group(pattern: str, index: int) -> None:
    kind = pattern[index + 2 : index + 3]
    if kind == "P" or (kind == "<" and pattern[index + 3 : index + 4] not in ("=", "!")):
        _refuse(pattern, "named groups", "write a plain group (...)")
    if kind in (">", "("):
        _refuse(pattern, "atomic and conditional groups", "write a plain group (...)")
    if kind.isalpha() or kind == "-":
        _refuse(pattern, "flags past the start or scoped flags", "write a leading (?i) or (?s)")


def _refuse(pattern: str, construct: str, instead: str) -> None:
    raise UsageError(
        f"$regex {pattern!r}: PostgreSQL reads {construct} otherwise than Python does; {instead}"
    )
