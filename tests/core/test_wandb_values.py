"""Values, keys and names as wandb takes them (issue 17), read back from the store."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

import runcard


def test_dashes_around_top_level_config_keys_are_stripped() -> None:
    run = runcard.init(project="m", config={"--lr": 0.1, "-v": True, "batch-size": 32})
    run.config["--epochs"] = 3
    run.config.update({"--opt": {"--beta": 0.9}})
    expected = {"lr": 0.1, "v": True, "batch-size": 32, "epochs": 3, "opt": {"--beta": 0.9}}
    assert run.config.as_dict() == expected
    run.finish()
    assert runcard.Api().run(run.path).config == expected


def test_config_is_a_mapping_and_updates_from_another_runs_config() -> None:
    first = runcard.init(project="m", config={"lr": 0.1, "model": {"depth": 4}})
    first.finish()
    second = runcard.init(project="m")
    assert isinstance(second.config, Mapping)
    second.config.update(first.config)
    assert second.config.as_dict() == {"lr": 0.1, "model": {"depth": 4}}
    assert dict(first.config) == {"lr": 0.1, "model": {"depth": 4}}


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (np.float128(1.5), 1.5),
        (np.longdouble(0.25), 0.25),
        (np.float16(0.5), 0.5),
        (np.int8(-3), -3),
        (np.uint64(2**63), 2**63),
        (np.bool_(True), True),
        (np.array(2.5, dtype=np.float128), 2.5),
        (b"caf\xc3\xa9", "café"),
        (bytearray(b"abc"), "abc"),
    ],
)
def test_numpy_scalars_and_bytes_become_numbers_and_text(value: object, stored: object) -> None:
    run = runcard.init(project="m", config={"v": value})
    run.log({"v": value})
    run.finish()
    api_run = runcard.Api().run(run.path)
    for got in (api_run.config["v"], api_run.history(pandas=False)[0]["v"], api_run.summary["v"]):
        assert got == stored and type(got) is type(stored)


def test_undecodable_bytes_are_a_text_form() -> None:
    run = runcard.init(project="m")
    run.log({"raw": b"\xff\xfe"})
    with pytest.warns(runcard.MetricWarning, match="bytes"):  # values are read after log()
        assert run.summary["raw"].startswith("<builtins.bytes")


@pytest.mark.parametrize("key", [1, 2.5, None, ("a",)])
def test_log_with_a_non_string_key_raises_and_stores_nothing(key: object) -> None:
    run = runcard.init(project="m")
    with pytest.raises(TypeError, match="keys must be strings"):
        run.log({"ok": 1, key: 1000})
    with pytest.raises(TypeError, match=repr(key).replace("(", r"\(").replace(")", r"\)")):
        run.log({key: 1}, step=5)
    run.finish()
    assert runcard.Api().run(run.path).history(pandas=False) == []


@pytest.mark.parametrize("project", ["a/b", "a\\b", "a#b", "a?b", "a%b", "a:b", "p" * 129])
def test_project_names_wandb_refuses_are_usage_errors(project: str) -> None:
    with pytest.raises(runcard.UsageError, match="project"):
        runcard.init(project=project)
    assert runcard.run is None


def test_a_project_name_of_128_characters_is_fine() -> None:
    run = runcard.init(project="p" * 128)
    run.finish()
    assert runcard.Api().run(run.path).project == "p" * 128
