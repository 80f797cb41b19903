"""What the web app's change feed reads from the store beside timestamps (Store.changes_after):
runs numbered after a mark, runs given a revision after one, and how many runs there are."""

from __future__ import annotations

from pathlib import Path

import runcard


def test_marks_name_new_and_edited_runs_and_count_the_runs(store_dir: Path | str) -> None:
    first = runcard.init(project="marks")
    first.finish()
    store = runcard.Api()._open()
    marks, new, revised = store.changes_after(None)
    assert (new, revised, marks[2]) == ([], [], 1)
    assert store.changes_after((marks[0], marks[1]))[1:] == ([], [])

    second = runcard.init(project="marks")
    second.finish()
    edited = runcard.Api().run(first.path)
    edited.name = "renamed"
    edited.update()
    after, new, revised = store.changes_after((marks[0], marks[1]))
    assert new == [second.path] and first.path in revised and after[2] == 2

    runcard.Api().run(second.path).delete()
    final, new, revised = store.changes_after((after[0], after[1]))
    assert (new, revised, final[2]) == ([], [], 1)
