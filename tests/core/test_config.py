"""Config semantics (SPEC §3), read back from a real SQLite store through the public Api."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import enum
import math
import pathlib
import warnings

import pytest

import runcard


def stored(run: runcard.Run) -> runcard.ApiRun:
    run.finish()
    return runcard.Api().run(run.path)


def test_dict_access_attribute_access_and_get_agree() -> None:
    run = runcard.init(project="p", config={"lr": 0.1, "model": {"depth": 3}})
    assert run.config["lr"] == 0.1
    assert run.config.lr == 0.1
    assert run.config.get("lr") == 0.1
    assert run.config.get("missing", 7) == 7
    assert run.config["model"]["depth"] == 3
    assert run.config.model.depth == 3
    assert isinstance(run.config.model, dict)
    with pytest.raises(KeyError):
        run.config["missing"]
    with pytest.raises(AttributeError, match="missing"):
        run.config.missing  # noqa: B018
    assert "lr" in run.config and len(run.config) == 2
    assert sorted(run.config) == ["lr", "model"]
    assert dict(run.config.items()) == {"lr": 0.1, "model": {"depth": 3}}
    assert run.config.as_dict() == {"lr": 0.1, "model": {"depth": 3}}


def test_nested_values_stay_nested_in_the_store() -> None:
    run = runcard.init(project="p", config={"model": {"depth": 3, "act": {"name": "relu"}}})
    assert stored(run).config == {"model": {"depth": 3, "act": {"name": "relu"}}}


def test_writes_inside_nested_values_are_recorded_with_their_line() -> None:
    run = runcard.init(project="p", config={"model": {"depth": 3}})
    run.config.model.width = 2
    with pytest.warns(runcard.ConfigWarning, match="'model.depth' changed from 3 to 4"):
        run.config["model"]["depth"] = 4
    saved = stored(run)
    assert saved.config == {"model": {"depth": 4, "width": 2}}
    history = saved.provenance()["model.depth"]
    assert [(r["value"], r["source"]) for r in history] == [(3, "init"), (4, "code")]
    assert history[1]["detail"].endswith("test_config.py:" + str(_line_of('depth"] = 4')))


def _line_of(fragment: str) -> int:
    lines = pathlib.Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if fragment in line)


def test_values_keep_their_types() -> None:
    config = {"int": 2, "float": 2.0, "bool": True, "none": None, "str": "x", "list": [1, 2.5]}
    run = runcard.init(project="p", config=config)
    saved = stored(run).config
    assert saved == config
    assert type(saved["int"]) is int and type(saved["float"]) is float
    assert type(saved["bool"]) is bool


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Optim:
    name: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)


def test_python_values_are_converted_to_their_json_form() -> None:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    run = runcard.init(
        project="p",
        config={
            "path": pathlib.Path("/data/train"),
            "color": Color.RED,
            "when": when,
            "tuple": (1, 2),
            "set": {3, 1, 2},
            "range": range(3),
            "optim": Optim(),
            "args": argparse.Namespace(a=1),
        },
    )
    assert stored(run).config == {
        "path": "/data/train",
        "color": "red",
        "when": "2026-01-02T03:04:05",
        "tuple": [1, 2],
        "set": [1, 2, 3],
        "range": [0, 1, 2],
        "optim": {"name": "adam", "betas": [0.9, 0.999]},
        "args": {"a": 1},
    }


def test_objects_without_a_json_form_become_a_short_text_with_a_warning() -> None:
    with pytest.warns(runcard.ConfigWarning) as caught:
        run = runcard.init(project="p", config={"fn": test_values_keep_their_types, "mod": math})
    assert [str(w.message).split(":")[0] for w in caught] == ["config key 'fn'", "config key 'mod'"]
    saved = stored(run).config
    assert saved["fn"].startswith("<builtins.function") and "test_values_keep" in saved["fn"]
    assert saved["mod"].startswith("<builtins.module math")


def test_an_int_too_long_for_json_is_stored_as_its_digits_with_a_warning() -> None:
    # Python writes at most 4300 digits of an int as text: 10**5000 has no JSON number form
    with pytest.warns(runcard.ConfigWarning) as caught:
        run = runcard.init(
            project="p",
            config={"v": 10**5000, "nested": {"w": -(10**5000)}, "huge": 2**100_000, "ok": 7},
        )
        run.config.update({"later": 10**5000, "fine": 10**300})
    assert [str(w.message).split(":")[0] for w in caught] == [
        "config key 'v'",
        "config key 'nested.w'",
        "config key 'huge'",
        "config key 'later'",
    ]
    assert "no JSON form" in str(caught[0].message)
    assert stored(run).config == {
        "v": "1" + "0" * 5000,
        "nested": {"w": "-1" + "0" * 5000},
        "huge": "<builtins.int bits=100001>",
        "ok": 7,
        "later": "1" + "0" * 5000,
        "fine": 10**300,
    }


def test_nan_is_stored_as_null_and_infinity_as_infinity() -> None:
    run = runcard.init(
        project="p", config={"nan": float("nan"), "inf": math.inf, "ninf": -math.inf}
    )
    saved = stored(run).config
    assert saved == {"nan": None, "inf": math.inf, "ninf": -math.inf}


def test_unicode_keys_and_values_round_trip() -> None:
    run = runcard.init(project="p", config={"학습률": 0.1, "modèle": "réseau ✓"})
    assert stored(run).config == {"학습률": 0.1, "modèle": "réseau ✓"}


def test_dotted_key_is_stored_unsplit_with_a_warning_naming_it() -> None:
    with pytest.warns(runcard.ConfigWarning, match="'optimizer.lr'"):
        run = runcard.init(project="p", config={"optimizer.lr": 0.1})
    saved = stored(run)
    assert saved.config == {"optimizer.lr": 0.1}
    found = runcard.Api().runs("p", filters={"config.optimizer.lr": 0.1})
    assert [r.id for r in found] == [saved.id]


def test_non_string_top_level_key_is_a_type_error_and_nested_ones_become_strings() -> None:
    run = runcard.init(project="p")
    with pytest.raises(TypeError, match="1"):
        run.config.update({1: "a"})
    run.config.update({"layers": {1: 32, 2: 64}})
    assert stored(run).config == {"layers": {"1": 32, "2": 64}}


def test_private_keys_are_readable_but_not_listed() -> None:
    run = runcard.init(project="p", config={"_internal": 1, "lr": 0.1})
    assert run.config["_internal"] == 1
    assert list(run.config) == ["lr"]
    assert stored(run).config == {"lr": 0.1}


def test_changing_a_value_is_recorded_and_warned_once() -> None:
    run = runcard.init(project="p", config={"dropout": 0.5})
    with pytest.warns(runcard.ConfigWarning, match=r"'dropout' changed from 0.5 to 0.2"):
        run.config["dropout"] = 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.config["dropout"] = 0.3  # the second change of a key is recorded silently
    revisions = stored(run).provenance()["dropout"]
    assert [r["value"] for r in revisions] == [0.5, 0.2, 0.3]


def test_equal_values_after_conversion_are_not_a_change() -> None:
    run = runcard.init(project="p", config={"sizes": (1, 2), "epochs": 7}, allow_val_change=False)
    run.config.update({"sizes": [1, 2], "epochs": 7.0})
    run.config.update({"model": {"depth": 2}})
    run.config.update({"model": {"width": 3}})  # adding a nested key is not a change
    saved = stored(run)
    assert saved.config == {"sizes": [1, 2], "epochs": 7, "model": {"depth": 2, "width": 3}}
    assert len(saved.provenance()["epochs"]) == 1


def test_strict_update_refuses_a_change_and_applies_nothing() -> None:
    run = runcard.init(project="p", config={"lr": 0.1})
    with pytest.raises(runcard.ConfigError, match=r"'lr'.*0\.1.*0\.2.*allow_val_change"):
        run.config.update({"new": 1, "lr": 0.2}, allow_val_change=False)
    assert "new" not in run.config
    run.config.update({"lr": 0.3}, allow_val_change=True)
    saved = stored(run)
    assert saved.config == {"lr": 0.3}
    assert isinstance(runcard.ConfigError("x"), runcard.Error)


def test_strict_policy_at_init_applies_to_item_writes() -> None:
    run = runcard.init(project="p", config={"lr": 0.1}, allow_val_change=False)
    with pytest.raises(runcard.ConfigError, match="'lr'"):
        run.config.lr = 0.5
    run.config.epochs = 3  # new keys are fine
    assert stored(run).config == {"lr": 0.1, "epochs": 3}


def test_locked_keys_ignore_later_script_writes_with_a_warning() -> None:
    run = runcard.init(project="p", config={"lr": 0.1})
    run.config.update_locked({"lr": 0.01, "batch": 64}, user="sweep-7")
    with pytest.warns(runcard.ConfigWarning, match="'lr' is set by sweep-7"):
        run.config.update({"lr": 0.5, "epochs": 3})
    assert run.config.lr == 0.01 and run.config.epochs == 3
    saved = stored(run)
    assert saved.config == {"lr": 0.01, "batch": 64, "epochs": 3}
    assert saved.provenance()["lr"][-1]["source"] == "sweep"
    assert saved.provenance()["lr"][-1]["detail"] == "sweep-7"


def test_setdefaults_only_fills_missing_keys() -> None:
    run = runcard.init(project="p", config={"lr": 0.1})
    run.config.setdefaults({"lr": 0.5, "epochs": 10})
    assert stored(run).config == {"lr": 0.1, "epochs": 10}


def test_include_and_exclude_filter_the_init_config() -> None:
    run = runcard.init(project="p", config={"a": 1, "b": 2}, config_exclude_keys=["b"])
    assert stored(run).config == {"a": 1}
    run = runcard.init(project="p", config={"a": 1, "b": 2}, config_include_keys=["b"])
    assert stored(run).config == {"b": 2}
    with pytest.raises(runcard.UsageError, match="not both"):
        runcard.init(project="p", config={}, config_include_keys=["a"], config_exclude_keys=["b"])


def test_argparse_namespace_is_recorded_with_source_argparse() -> None:
    args = argparse.Namespace(batch_size=32, learning_rate=0.001)
    run = runcard.init(project="p", config=args)
    saved = stored(run)
    assert saved.config == {"batch_size": 32, "learning_rate": 0.001}
    assert saved.provenance()["batch_size"][0]["source"] == "argparse"


def test_provenance_of_a_live_run_names_source_step_and_line() -> None:
    run = runcard.init(project="p", config={"lr": 0.1})
    run.log({"loss": 1.0})
    run.log({"loss": 0.5})
    with pytest.warns(runcard.ConfigWarning):
        run.config.lr = 0.05
    revisions = run.config.provenance("lr")
    assert [(r["source"], r["value"], r["step"]) for r in revisions] == [
        ("init", 0.1, None),
        ("code", 0.05, 2),
    ]
    assert revisions[1]["detail"].endswith(f"test_config.py:{_line_of('lr = 0.05')}")


def test_a_ten_megabyte_config_value_round_trips() -> None:
    big = "x" * (10 * 1024 * 1024)
    run = runcard.init(project="p", config={"blob": big, "lr": 0.1})
    saved = stored(run)
    assert saved.config["blob"] == big and saved.config["lr"] == 0.1


def test_numpy_values_become_python_numbers_and_lists() -> None:
    np = pytest.importorskip("numpy")
    with pytest.warns(runcard.ConfigWarning, match="'big': numpy.ndarray has 40000 elements"):
        run = runcard.init(
            project="p",
            config={
                "f": np.float32(0.5),
                "i": np.int64(3),
                "b": np.bool_(True),
                "arr": np.arange(4).reshape(2, 2),
                "big": np.zeros((200, 200)),
            },
        )
    saved = stored(run).config
    assert saved["f"] == 0.5 and type(saved["f"]) is float
    assert saved["i"] == 3 and type(saved["i"]) is int
    assert saved["b"] is True
    assert saved["arr"] == [[0, 1], [2, 3]]
    assert saved["big"].startswith("<numpy.ndarray shape=(200, 200)")


@pytest.mark.absl
def test_absl_flags_are_recorded_with_cli_or_default_source_and_help() -> None:
    from absl import flags

    values = flags.FlagValues()
    flags.DEFINE_string("model", None, "Model to run", flag_values=values)
    flags.DEFINE_integer("epochs", 10, "Epochs", flag_values=values)
    values(["prog", "--model=resnet"])
    run = runcard.init(project="p")
    run.config.update(values)
    saved = stored(run)
    assert saved.config == {"model": "resnet", "epochs": 10}
    assert saved.provenance()["model"][0]["source"] == "absl-cli"
    assert saved.provenance()["epochs"][0]["source"] == "absl-default"
    assert saved.descriptions["model"] == "Model to run"


@pytest.mark.absl
def test_unparsed_absl_flags_record_their_defaults_with_a_warning() -> None:
    from absl import flags

    values = flags.FlagValues()
    flags.DEFINE_integer("epochs", 10, "Epochs", flag_values=values)
    run = runcard.init(project="p")
    with pytest.warns(runcard.ConfigWarning, match="not parsed"):
        run.config.update(values)
    assert stored(run).config == {"epochs": 10}


def test_adapters_name_their_source_and_descriptions() -> None:
    run = runcard.init(project="p", config={"lr": 0.1})
    run.config.update(
        argparse.Namespace(layers=4, lr=0.1),
        source="lightning",
        descriptions={"layers": "Number of layers"},
    )
    with pytest.raises(ValueError, match="'somewhere' is not one of"):
        run.config.update({"x": 1}, source="somewhere")
    saved = stored(run)
    assert saved.config == {"lr": 0.1, "layers": 4}
    assert saved.provenance()["layers"][0]["source"] == "lightning"
    assert saved.descriptions == {"layers": "Number of layers"}
    assert "lightning" in runcard.CONFIG_SOURCES


@pytest.mark.absl
def test_only_the_programs_own_flags_are_recorded_once_and_flags_are_not_modified() -> None:
    from absl import flags

    values = flags.FlagValues()
    flags.DEFINE_integer("batch_size", 32, "Batch size", short_name="b", flag_values=values)
    flags.DEFINE_float("lr", 0.1, "Learning rate", flag_values=values)
    flags.DEFINE_boolean("augment", False, "Augment", flag_values=values)
    flags.DEFINE_enum("opt", "adam", ["adam", "sgd"], "Optimizer", flag_values=values)
    flags.DEFINE_list("layers", ["64", "32"], "Layer sizes", flag_values=values)
    flags.DEFINE_string("logtostderr_like", "x", "an absl-looking name", flag_values=values)
    values(["prog", "-b", "64", "--augment", "--opt=sgd"])
    before = values.flag_values_dict()
    run = runcard.init(project="p", config=values)
    assert values.flag_values_dict() == before
    saved = stored(run)
    assert saved.config == {
        "batch_size": 64,
        "lr": 0.1,
        "augment": True,
        "opt": "sgd",
        "layers": ["64", "32"],
        "logtostderr_like": "x",
    }
    sources = {k: revs[0]["source"] for k, revs in saved.provenance().items()}
    assert sources["batch_size"] == "absl-cli" and sources["lr"] == "absl-default"
    assert saved.descriptions["batch_size"] == "Batch size"


@pytest.mark.absl
def test_absl_library_flags_are_left_out() -> None:
    from absl import flags
    from absl import logging as absl_logging  # noqa: F401 (registers verbosity, logtostderr)

    flags.FLAGS.unparse_flags()
    flags.FLAGS(["prog"])
    run = runcard.init(project="p")
    run.config.update(flags.FLAGS)
    assert not {"verbosity", "logtostderr", "v", "help", "alsologtostderr"} & set(
        stored(run).config
    )
