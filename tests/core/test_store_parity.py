"""SQLite and PostgreSQL answer alike, as the one SQL store over two dialects: a deleted run
leaves nothing behind, `$regex` means one thing, and text holding NUL reads back as written."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import runcard
from runcard._store import Batch, open_store

# every table keyed by a run's pk (run_pk)
RUN_TABLES = ("history_chunks", "history_columns", "revisions", "pushed_chunks", "pushed_revisions")


def rows_of(store_dir: Path | str, table: str, pk: int) -> int:
    """Rows of `table` under run `pk`, read with the database's own driver."""
    sql = f"SELECT count(*) FROM {table} WHERE run_pk = {int(pk)}"
    if str(store_dir).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(store_dir)) as db:
            return int(db.execute(sql).fetchone()[0])  # type: ignore[index]
    with sqlite3.connect(os.path.join(store_dir, "runcard.db")) as db:
        return int(db.execute(sql).fetchone()[0])


def test_a_run_deleted_while_its_writer_still_writes_leaves_no_rows_behind(
    store_dir: Path | str,
) -> None:
    run = runcard.init(project="p", id="r1")
    for step in range(5):
        run.log({"loss": step})
    run.finish()
    store = open_store(str(store_dir))
    pk = store.find_run(None, "p", "r1")["pk"]  # type: ignore[index]
    (chunk,) = store.chunks_after(pk, -1, {}, 1)
    runcard.Api().run(run.path).delete()
    late = Batch()  # what a writer that did not see the delete still sends
    chunk.index = None
    late.history = [chunk]
    with pytest.raises(runcard.StoreError, match="not in the store"):
        store.write_batch(pk, late, heartbeat=True)
    assert chunk.index is None
    with pytest.raises(runcard.StoreError, match="not in the store"):
        store.finish_run(pk, "finished", 0)
    store.close()
    assert {table: rows_of(store_dir, table, pk) for table in RUN_TABLES} == dict.fromkeys(
        RUN_TABLES, 0
    )


REGEX_CASES = [
    ("a.b", "a\nb", True),  # `.` matches a newline
    ("c$", "abc\n", False),  # `$` only at the value's end
    ("c$", "abc", True),
    (r"^\w+$", "caf\u00e9", False),  # ASCII classes
    (r"^\w+$", "cafe_1", True),
    ("(?i)^ADAM", "adamw", True),
    ("[]x]", "a]b", True),
    (r"(?<=ad)am", "adam", True),
]


@pytest.mark.parametrize(("pattern", "value", "matches"), REGEX_CASES)
def test_a_regex_means_the_same_on_both_databases(
    api: runcard.Api, pattern: str, value: str, matches: bool
) -> None:
    runcard.init(project="p", id="r1", config={"opt": value}, notes=value).finish()
    for key in ("config.opt", "notes"):
        found = api.runs("p", {key: {"$regex": pattern}})
        assert [run.id for run in found] == (["r1"] if matches else []), key


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"\bword", r"\\b"),
        (r"a\B", r"\\B"),
        ("(?P<name>a)", "named groups"),
        ("(?m)^a", r"flags other than \(\?i\) and \(\?s\)"),
        ("a(?i:b)", "scoped flags"),
        ("a{,3}", r"\{,n\}"),
        ("a*+", "possessive"),
        ("[[:alpha:]]", r"\[: in a class"),
        (r"\x41B", "two hex digits"),
    ],
)
def test_a_regex_the_two_databases_would_read_apart_is_a_usage_error(
    api: runcard.Api, pattern: str, says: str
) -> None:
    runcard.init(project="p", id="r1", config={"opt": "word"}).finish()
    with pytest.raises(runcard.UsageError, match=says):
        api.runs("p", {"config.opt": {"$regex": pattern}})


def test_text_holding_nul_reads_back_as_written(api: runcard.Api) -> None:
    odd = "a\x00b\uffff0\uffff\uffffc\x00"  # NUL, and the character PostgreSQL escapes it with
    config: dict[str, Any] = {"s": odd, "list": [odd], f"k{odd}": {"n": odd}}
    run = runcard.init(
        project="p", id="r1", config=config, notes=odd, tags=[odd, "t"], name=odd, group=odd
    )
    run.log({"loss": 0.5, "label": odd})
    run.summary["text"] = odd
    run.finish()
    saved = api.run("p/r1")
    assert dict(saved.config) == config
    assert saved.notes == odd and saved.name == odd and saved.group == odd
    assert saved.tags == [odd, "t"]
    assert saved.summary["text"] == odd and saved.summary["label"] == odd
    assert [row["label"] for row in saved.scan_history(keys=["label"])] == [odd]
    assert [r.id for r in api.runs("p", {"tags": "t"})] == ["r1"]
    saved.notes = odd + "!"
    saved.update()
    assert api.run("p/r1").notes == odd + "!"


def test_an_edit_of_a_run_deleted_since_it_was_read_is_run_not_found_and_stores_nothing(
    store_dir: Path | str,
) -> None:
    run = runcard.init(project="edited", config={"lr": 0.1})
    run.finish()
    read = runcard.Api().run(run.path)
    pk = read._pk
    runcard.Api().run(run.path).delete()
    read.name = "renamed"
    read.notes = "a note"
    with pytest.raises(runcard.RunNotFoundError, match="deleted"):
        read.update()
    assert all(rows_of(store_dir, table, pk) == 0 for table in RUN_TABLES)
