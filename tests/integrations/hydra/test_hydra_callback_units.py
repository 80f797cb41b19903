"""The callback's pure parts: return values to summary entries, names, pickling."""

from __future__ import annotations

import pickle

import pytest
from omegaconf import OmegaConf

from runcard_hydra import RuncardCallback
from runcard_hydra.callback import summary_values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.25, {"return_value": 0.25}),
        (3, {"return_value": 3}),
        ({"val_loss": 0.1, "acc": 0.9}, {"val_loss": 0.1, "acc": 0.9}),
        (OmegaConf.create({"a": {"b": 1}}), {"a": {"b": 1}}),
        ((0.1, 0.2), {"return_value": {"0": 0.1, "1": 0.2}}),  # multi-objective sweepers
        (None, None),
        ("text", None),
        (object(), None),
        ({}, None),
    ],
)
def test_summary_values(value: object, expected: object) -> None:
    assert summary_values(value, "return_value") == expected


def test_numpy_scalars_are_numbers() -> None:
    np = pytest.importorskip("numpy")  # the tox env `hydra` installs it
    assert summary_values(np.float32(0.5), "objective") == {"objective": np.float32(0.5)}
    assert summary_values(np.array(2.0), "objective") == {"objective": np.array(2.0)}
    assert summary_values([np.int64(1), 2.5], "r") == {"r": {"0": 1, "1": 2.5}}


def test_arguments_from_hydra_are_plain_and_the_callback_pickles() -> None:
    cfg = OmegaConf.create({"tags": ["a", "b"], "config_exclude_keys": ["x"]})
    callback = RuncardCallback(
        project="p", tags=cfg.tags, config_exclude_keys=cfg.config_exclude_keys, dir="rel"
    )
    assert callback.tags == ("a", "b")
    assert callback.dir is not None and callback.dir.endswith("/rel") and callback.dir[0] == "/"
    copy = pickle.loads(pickle.dumps(callback))  # launchers ship callbacks to workers
    assert copy.project == "p" and copy.tags == ("a", "b")


def test_include_and_exclude_together_are_refused() -> None:
    with pytest.raises(ValueError, match="config_include_keys or config_exclude_keys"):
        RuncardCallback(config_include_keys=["a"], config_exclude_keys=["b"])
