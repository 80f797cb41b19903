"""Config sources and their precedence (SPEC §4), run as real scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runcard

SCRIPT = textwrap.dedent(
    """
    import argparse, json, sys
    import runcard
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run = runcard.init(project="src", config=json.loads(sys.stdin.readline() or "null"))
    print(json.dumps({"path": run.path, "argv": sys.argv[1:], "seed": args.seed}))
    run.finish()
    """
)


def run_train(
    folder: Path, *args: str, init_config: object = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a train.py in `folder` that parses its own flags, then calls init(config=...)."""
    script = folder / "train.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), *args],
        input=json.dumps(init_config) + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def saved(result: subprocess.CompletedProcess[str]) -> runcard.ApiRun:
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return runcard.Api().run(out["path"])


def test_config_defaults_beside_the_script_is_loaded_with_descriptions(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "config-defaults.yaml").write_text(
        "wandb_version: 1\nbatch_size:\n  desc: Size of each mini-batch\n  value: 32\nepochs: 10\n"
    )
    run = saved(run_train(folder))
    assert run.config == {"batch_size": 32, "epochs": 10}
    assert run.descriptions == {"batch_size": "Size of each mini-batch"}
    assert run.provenance()["batch_size"][0]["source"] == "defaults-file"
    assert run.provenance()["batch_size"][0]["detail"].endswith("config-defaults.yaml")


def test_init_config_wins_over_the_defaults_file_and_both_are_kept(tmp_path: Path) -> None:
    (tmp_path / "config-defaults.yaml").write_text("batch_size:\n  value: 32\nepochs: 10\n")
    run = saved(run_train(tmp_path, init_config={"epochs": 200, "batch_size": 64}))
    assert run.config == {"batch_size": 64, "epochs": 200}
    assert [(r["source"], r["value"]) for r in run.provenance()["batch_size"]] == [
        ("defaults-file", 32),
        ("init", 64),
    ]


def test_configs_flag_replaces_the_defaults_file_and_leaves_argv_to_the_script(
    tmp_path: Path,
) -> None:
    (tmp_path / "config-defaults.yaml").write_text("from_defaults: 1\n")
    (tmp_path / "a.yaml").write_text("lr: 0.1\nbatch: 16\n")
    (tmp_path / "b.yaml").write_text("lr: 0.2\n")
    result = run_train(tmp_path, "--configs", "a.yaml,b.yaml", "--seed", "3")
    run = saved(result)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["argv"] == ["--seed", "3"] and out["seed"] == 3
    assert run.config == {"lr": 0.2, "batch": 16}
    assert [r["source"] for r in run.provenance()["lr"]] == ["configs-file", "configs-file"]
    result = run_train(tmp_path, "--configs=a.yaml")
    assert saved(result).config == {"lr": 0.1, "batch": 16}


def test_config_paths_environment_variable_is_a_configs_flag(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("lr: 0.3\n")
    run = saved(run_train(tmp_path, env={"RUNCARD_CONFIG_PATHS": str(tmp_path / "a.yaml")}))
    assert run.config == {"lr": 0.3}


def test_a_missing_configs_file_fails_init_naming_the_file(tmp_path: Path) -> None:
    result = run_train(tmp_path, "--configs", "nowhere.yaml")
    assert result.returncode != 0
    assert "nowhere.yaml" in result.stderr and "does not exist" in result.stderr
    assert runcard.Api().runs() == []


def test_a_malformed_defaults_file_fails_init_with_file_line_and_reason(tmp_path: Path) -> None:
    (tmp_path / "config-defaults.yaml").write_text("lr: 0.1\nbatch: [1, 2\nepochs: 3\n")
    result = run_train(tmp_path)
    assert result.returncode != 0
    assert "config-defaults.yaml:" in result.stderr and "malformed YAML" in result.stderr
    assert runcard.Api().runs() == []


def test_malformed_file_error_carries_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\nb: : 2\n")
    with pytest.raises(runcard.ConfigFileError) as error:
        runcard.init(project="p", config=str(bad))
    assert error.value.path == str(bad) and error.value.line == 2
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(runcard.ConfigFileError, match="mapping"):
        runcard.init(project="p", config=str(tmp_path / "list.yaml"))


def test_init_accepts_a_yaml_file_path(tmp_path: Path) -> None:
    (tmp_path / "exp.yaml").write_text("model:\n  depth: 4\nlr: 0.01\n")
    run = runcard.init(project="p", config=str(tmp_path / "exp.yaml"))
    run.finish()
    assert runcard.Api().run(run.path).config == {"model": {"depth": 4}, "lr": 0.01}


def test_nothing_already_recorded_is_lost_when_a_later_init_fails(tmp_path: Path) -> None:
    first = runcard.init(project="p", config={"a": 1})
    first.finish()
    with pytest.raises(runcard.ConfigFileError):
        runcard.init(project="p", config=str(tmp_path / "missing.yaml"))
    assert runcard.Api().run(first.path).config == {"a": 1}
    assert len(runcard.Api().runs("p")) == 1


def billion_laughs() -> str:
    """Nine anchors, each a list of nine aliases of the one before: 9**9 strings when expanded."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_in_configs_fails_init_naming_the_file_and_keeps_the_store(
    tmp_path: Path,
) -> None:
    first = saved(run_train(tmp_path, init_config={"lr": 0.1}))
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    assert bomb.stat().st_size < 500
    result = run_train(tmp_path, "--configs", str(bomb))
    assert result.returncode == 1
    assert "runcard.ConfigFileError" in result.stderr and str(bomb) in result.stderr
    assert "expands to more than 1,000,000 values" in result.stderr
    [run] = runcard.Api().runs()
    assert run.id == first.id and run.config == {"lr": 0.1}


def test_an_alias_bomb_of_long_text_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "config-defaults.yaml").write_text(
        f"a: &a {'x' * 1_000_000}\nb: [{', '.join(['*a'] * 40)}]\n"
    )
    result = run_train(tmp_path)
    assert result.returncode == 1
    assert "config-defaults.yaml:2: expands to more than" in result.stderr
    assert runcard.Api().runs() == []


def test_aliases_and_merge_keys_within_the_bounds_still_load(tmp_path: Path) -> None:
    (tmp_path / "exp.yaml").write_text(
        "base: &base {lr: 0.1, depth: 4}\nsmall:\n  <<: *base\n  depth: 2\nruns: [*base, *base]\n"
    )
    run = runcard.init(project="p", config=str(tmp_path / "exp.yaml"))
    run.finish()
    assert runcard.Api().run(run.path).config == {
        "base": {"lr": 0.1, "depth": 4},
        "small": {"lr": 0.1, "depth": 2},
        "runs": [{"lr": 0.1, "depth": 4}, {"lr": 0.1, "depth": 4}],
    }


@pytest.mark.parametrize(
    ("text", "line", "first"),
    [
        ("lr: 0.1\nbatch: 16\nlr: 0.2\n", 3, 1),
        ("model:\n  depth: 4\n  width: 8\n  depth: 6\nlr: 0.1\n", 4, 2),
        ("model: {depth: 4, 'depth': 6}\n", 1, 1),
    ],
    ids=["top-level", "nested", "quoted"],
)
def test_a_duplicate_key_fails_init_naming_file_key_and_line(
    tmp_path: Path, text: str, line: int, first: int
) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    with pytest.raises(runcard.ConfigFileError) as error:
        runcard.init(project="p", config=str(path))
    assert error.value.path == str(path) and error.value.line == line
    assert f"duplicate key {'lr' if line == 3 else 'depth'!r} (first at line {first})" in str(
        error.value
    )
    assert runcard.Api().runs() == []


def test_a_duplicate_key_in_a_configs_file_fails_the_script(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("opt:\n  name: adam\n  name: sgd\n")
    result = run_train(tmp_path, "--configs", "a.yaml")
    assert result.returncode == 1
    assert "a.yaml:3: duplicate key 'name' (first at line 2)" in result.stderr


def test_a_value_that_contains_itself_and_bytes_that_are_not_text_are_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "loop.yaml").write_text("a: 1\nb: &b [1, *b]\n")
    with pytest.raises(runcard.ConfigFileError, match="contains itself") as error:
        runcard.init(project="p", config=str(tmp_path / "loop.yaml"))
    assert error.value.line == 2
    (tmp_path / "latin1.yaml").write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(runcard.ConfigFileError, match="not UTF-8"):
        runcard.init(project="p", config=str(tmp_path / "latin1.yaml"))
