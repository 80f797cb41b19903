"""run.summary as wandb's: a nested mapping, live and through the Api (issue 17)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

import runcard


def test_live_summary_is_a_nested_mapping_with_attribute_writes_and_deletes() -> None:
    run = runcard.init(project="m")
    run.log({"loss": 1.0, "train": {"acc": 0.5}, "gone": 1})
    run.summary.best = 0.9
    run.summary["val"] = {"acc": 0.7, "f1": {"macro": 0.6}}
    del run.summary["gone"]
    assert isinstance(run.summary, Mapping)
    assert run.summary.best == 0.9
    assert run.summary["val"]["acc"] == 0.7
    assert "gone" not in run.summary
    run.log({"loss": 0.5})
    run.finish()
    stored = runcard.Api().run(run.path)
    assert stored.summary == {
        "loss": 0.5,
        "train.acc": 0.5,  # logged dicts are flattened, as in the history
        "best": 0.9,
        "val": {"acc": 0.7, "f1": {"macro": 0.6}},
    }
    assert stored.history(pandas=False)[0]["train.acc"] == 0.5


def test_a_deleted_key_is_set_again_by_a_later_log() -> None:
    run = runcard.init(project="m")
    run.summary["loss"] = 3.0
    del run.summary.loss
    run.log({"loss": 1.0})
    with pytest.raises(AttributeError, match="nope"):
        del run.summary.nope
    run.finish()
    assert runcard.Api().run(run.path).summary == {"loss": 1.0}


def test_summary_write_after_finish_raises_and_changes_nothing() -> None:
    run = runcard.init(project="m")
    run.summary["a"] = 1
    run.finish()
    with pytest.raises(runcard.UsageError, match="finished"):
        run.summary["a"] = 2
    assert run.summary["a"] == 1


def test_api_summary_update_stores_an_audited_revision() -> None:
    run = runcard.init(project="m")
    run.log({"loss": 0.5})
    run.finish()
    api_run = runcard.Api().run(run.path)
    api_run.summary["val_loss"] = 0.25
    api_run.summary.update()  # wandb's documented form
    held = api_run.summary
    held.update({"note": "checked"})
    held["again"] = 1  # the same object, after an update
    api_run.update()
    del held["again"]
    held.update()
    again = runcard.Api().run(run.path)
    assert again.summary == {"loss": 0.5, "val_loss": 0.25, "note": "checked"}
    store = again._store
    keys = [rev["key"] for rev in store.revisions(again._pk, "summary")]
    assert keys == ["val_loss", "note", "again", "again"]
    assert all(r["source"] == "api" for r in store.revisions(again._pk, "summary"))
