"""The `runcard` command (SPEC §7), run as a user runs it: a subprocess against a store that real
runs wrote. Each test gets its own store through $RUNCARD_DIR (tests/conftest.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runcard

ACC = {0.1: [0.70, 0.72, 0.74], 0.01: [0.80, 0.84, 0.88]}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runcard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def as_json(*args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def make_sweep() -> list[runcard.Run]:
    """Two learning rates x three seeds; the accuracies of ACC; tags on the 0.1 runs."""
    runs = []
    for lr, accuracies in ACC.items():
        for seed, acc in enumerate(accuracies):
            config = {"lr": lr, "seed": seed, "opt": "adam", "model": {"depth": 4}}
            tags = ["baseline"] if lr == 0.1 else []
            with runcard.init(project="sweep", config=config, tags=tags) as run:
                run.log({"acc": acc, "loss": 1 - acc})
            runs.append(run)
    return runs


def make_dropouts() -> dict[str, runcard.Run]:
    """dropout missing, null, 0.2 and 0.2 (as 0.2 and as a float equal to it)."""
    runs = {}
    for label, extra in [("missing", {}), ("null", {"dropout": None}), ("a", {"dropout": 0.2})]:
        with runcard.init(project="drop", config={"lr": 0.1, **extra}) as run:
            run.log({"acc": 0.5})
        runs[label] = run
    with runcard.init(project="drop", config={"lr": 0.1, "dropout": 0.2}) as run:
        run.log({"acc": 0.7})
    runs["b"] = run
    return runs


def ids(records: list[dict[str, Any]]) -> set[str]:
    return {r["id"] for r in records}


# -- runs --------------------------------------------------------------------------------------
def test_runs_lists_each_run_with_the_config_keys_that_vary_and_its_metrics() -> None:
    runs = make_sweep()
    result = cli("runs", "sweep")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["id", "name", "state", "created"]
    assert header.split()[4:] == ["lr", "seed", "acc", "loss"]  # opt and model.depth never vary
    assert len(rows) == 7 and all(r.id in result.stdout for r in runs)
    assert "the same in every run: 2 config keys (--all-keys)" in rows[-1]
    every = cli("runs", "sweep", "--all-keys").stdout.splitlines()[0].split()
    assert every[4:] == ["lr", "seed", "opt", "model.depth", "acc", "loss"]


def test_runs_without_a_project_lists_every_project_with_a_project_column() -> None:
    make_sweep()
    make_dropouts()
    result = cli("runs")
    assert result.returncode == 0, result.stderr
    assert "project" in result.stdout.splitlines()[0].split()
    assert "10 runs" in result.stdout


def test_group_by_a_key_gives_mean_std_and_a_t_confidence_interval_of_each_metric() -> None:
    make_sweep()
    groups = as_json("runs", "sweep", "--group-by", "lr", "--agg", "mean,std,min,max,count,ci")
    assert [g["group"] for g in groups] == [{"config.lr": 0.01}, {"config.lr": 0.1}]
    assert [g["runs"] for g in groups] == [3, 3]
    acc = groups[1]["metrics"]["summary.acc"]
    assert acc["count"] == 3 and acc["min"] == 0.70 and acc["max"] == 0.74
    assert acc["mean"] == pytest.approx(0.72) and acc["std"] == pytest.approx(0.02)
    half = 4.302652730 * 0.02 / 3**0.5  # Student's t, 2 degrees of freedom
    assert acc["ci95"] == pytest.approx([0.72 - half, 0.72 + half])
    assert set(groups[0]["metrics"]) == {"summary.acc", "summary.loss"}
    table = cli("runs", "sweep", "--group-by", "config.lr")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:5] == ["lr", "runs", "acc", "acc", "95%"]
    assert "0.7200 ± 0.0200" in table.stdout and "[0.6703, 0.7697]" in table.stdout
    assert "2 groups of 6 runs by lr" in table.stdout


def test_group_by_all_except_seed_groups_by_every_other_config_key_that_varies() -> None:
    make_sweep()
    groups = as_json("runs", "sweep", "--group-by-all-except", "seed", "--columns", "acc")
    assert [g["group"] for g in groups] == [{"config.lr": 0.01}, {"config.lr": 0.1}]
    assert all(set(g["metrics"]) == {"summary.acc"} for g in groups)


def test_a_missing_key_and_a_null_value_are_groups_of_their_own() -> None:
    runs = make_dropouts()
    groups = as_json("runs", "drop", "--group-by", "dropout", "--agg", "mean,count")
    assert [(g["group"], g["runs"]) for g in groups] == [
        ({"config.dropout": 0.2}, 2),
        ({"config.dropout": None}, 1),
        ({}, 1),  # the key is missing: left out of the group's values
    ]
    missing = next(g for g in groups if g["group"] == {})
    assert missing["paths"] == [runs["missing"].path]
    table = cli("runs", "drop", "--group-by", "dropout").stdout
    assert "<missing>" in table and "null" in table
    rows = list(
        csv.reader(io.StringIO(cli("runs", "drop", "-g", "dropout", "--format", "csv").stdout))
    )
    assert rows[0][:2] == ["config.dropout", "runs"]
    assert sorted(r[0] for r in rows[1:]) == ["", "0.2", "null"]


def test_filters_select_runs_by_config_summary_tags_state_and_existence() -> None:
    runs = make_sweep()
    by_lr = {lr: {r.id for r in runs if r.config.lr == lr} for lr in ACC}
    cases = {
        "config.lr>=0.05": by_lr[0.1],
        "config.lr=0.01": by_lr[0.01],
        "config.lr!=0.01": by_lr[0.1],
        "summary.acc>0.79": by_lr[0.01],
        "tags~baseline": by_lr[0.1],
        "tags!~baseline": by_lr[0.01],
        "config.opt~^ad": by_lr[0.1] | by_lr[0.01],
        "config.opt!~^ad": set(),
        "state=finished": by_lr[0.1] | by_lr[0.01],
        "state=stopped": set(),
        "config.model.depth?": by_lr[0.1] | by_lr[0.01],
        "config.missing!?": by_lr[0.1] | by_lr[0.01],
        "config.seed in (0, 2) and config.lr<0.05": {r.id for r in runs[3:] if r.config.seed != 1},
        "config.seed=0 or (summary.acc>0.85 and tags!~baseline)": {
            runs[0].id,
            runs[3].id,
            runs[5].id,
        },
        f"id={runs[2].id}": {runs[2].id},
    }
    for expression, expected in cases.items():
        result = cli("runs", "sweep", "--filter", expression, "--format", "json")
        assert result.returncode == (0 if expected else 1), (expression, result.stderr)
        assert ids(json.loads(result.stdout)) == expected, expression
    both = as_json("runs", "sweep", "-f", "config.lr<0.05", "-f", "config.seed>0")
    assert ids(both) == {runs[4].id, runs[5].id}


def test_a_stored_null_and_a_missing_key_filter_apart() -> None:
    runs = make_dropouts()
    assert ids(as_json("runs", "drop", "-f", "config.dropout=null")) == {runs["null"].id}
    assert ids(as_json("runs", "drop", "-f", "config.dropout!?")) == {runs["missing"].id}
    present = {runs[k].id for k in ("null", "a", "b")}
    assert ids(as_json("runs", "drop", "-f", "config.dropout?")) == present


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("config.lr' OR 1=1 --", "unexpected quote inside key"),
        ("config.lr=1' OR '1'='1", "unexpected quote inside value"),
        ("config.opt='adam", "unbalanced quote"),
        ("(config.lr=0.1", "unbalanced parenthesis"),
        ("config.layers=[1, 2", "unbalanced bracket"),
        ("config.lr $gt 0", "expected an operator"),
        ("config.lr>>0", "a value cannot start with '>'"),
        ("config.lr>true", "compares numbers or strings"),
        ("config.lr=0.1; DROP TABLE runs", "unexpected"),
        ("lr>0.01", "unknown key 'lr': use config.lr or summary.lr"),
        ("state=finsihed", "state 'finsihed' does not exist"),
        ("config.opt~[a-", "not a regular expression"),
        ("tags>1", "tags take"),
        ("config.lr=", "a value is missing"),
    ],
)
def test_a_hostile_or_malformed_filter_is_a_usage_error_that_names_it(
    expression: str, reason: str
) -> None:
    make_sweep()
    result = cli("runs", "sweep", "--filter", expression)
    assert result.returncode == 2
    assert result.stdout == ""
    assert reason in result.stderr and repr(expression) in result.stderr
    assert len(runcard.Api().runs("sweep")) == 6


def test_quoted_sql_in_a_filter_is_only_a_value_or_a_key_and_matches_nothing() -> None:
    make_sweep()
    for expression in [
        "config.opt=\"adam' OR '1'='1\"",
        'config.opt=\'adam" OR "1"="1\'',
        "'config.opt\") OR 1=1 --'=adam",
        "summary.acc>'0; DELETE FROM runs'",
        "name~'.*' and config.lr='0.1) OR (1=1'",
    ]:
        result = cli("runs", "sweep", "--filter", expression)
        assert result.returncode == 1, (expression, result.stderr)
        assert "no runs matched the filters" in result.stderr
    assert len(runcard.Api().runs("sweep")) == 6


def test_json_and_csv_output_hold_every_key_with_missing_and_null_apart() -> None:
    runs = make_dropouts()
    records = {r["id"]: r for r in as_json("runs", "drop")}
    assert "config.dropout" not in records[runs["missing"].id]
    assert records[runs["null"].id]["config.dropout"] is None
    assert records[runs["a"].id]["config.dropout"] == 0.2
    assert records[runs["a"].id]["summary.acc"] == 0.5
    assert records[runs["a"].id]["path"] == runs["a"].path
    result = cli("runs", "drop", "--format", "csv", "--columns", "id,config.dropout,acc,state")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_id = {r["id"]: r for r in rows}
    assert list(rows[0]) == ["id", "config.dropout", "summary.acc", "state"]
    assert by_id[runs["missing"].id]["config.dropout"] == ""
    assert by_id[runs["null"].id]["config.dropout"] == "null"
    assert by_id[runs["b"].id] == {
        "id": runs["b"].id,
        "config.dropout": "0.2",
        "summary.acc": "0.7",
        "state": "finished",
    }


def test_sort_and_limit_order_runs_and_groups_by_a_metric() -> None:
    runs = make_sweep()
    top = as_json("runs", "sweep", "--sort", "-acc", "--limit", "2")
    assert [r["id"] for r in top] == [runs[5].id, runs[4].id]
    low = as_json("runs", "sweep", "--sort", "summary.acc", "-n", "1", "--columns", "id")
    assert low == [{"id": runs[0].id}]
    groups = as_json("runs", "sweep", "-g", "lr", "--sort", "-acc")
    assert [g["group"]["config.lr"] for g in groups] == [0.01, 0.1]
    groups = as_json("runs", "sweep", "-g", "lr", "--sort=acc.std")
    assert [g["group"]["config.lr"] for g in groups] == [0.1, 0.01]


def test_unknown_keys_and_aggregates_are_usage_errors_that_name_them() -> None:
    make_sweep()
    for args, message in [
        (["--group-by", "lrr"], "--group-by 'lrr': no run in the selection has that key"),
        (["--group-by", "lr", "--agg", "mean,mode"], "unknown aggregate 'mode'"),
        (["--sort", "nope"], "--sort 'nope'"),
        (["--columns", "config.nope"], "--columns 'config.nope'"),
        (["--group-by", "lr", "--sort", "nope"], "sort groups by one of runs, lr, acc, loss"),
        (["--format", "xml"], "invalid choice: 'xml'"),
    ]:
        result = cli("runs", "sweep", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, result.stderr


def test_nothing_matched_exits_1_and_says_where_it_looked() -> None:
    make_sweep()
    result = cli("runs", "nosuch")
    assert result.returncode == 1
    assert "no runs exist in project 'nosuch' (there is no such project; projects: sweep)" in (
        result.stderr
    )
    empty = cli("runs", "sweep", "-f", "config.lr>1", "--format", "json")
    assert empty.returncode == 1 and json.loads(empty.stdout) == []


def test_tables_fit_the_terminal_width_and_say_which_columns_were_hidden() -> None:
    make_sweep()
    result = cli("runs", "sweep", env={"COLUMNS": "44"})
    assert result.returncode == 0, result.stderr
    assert all(len(line) <= 44 for line in result.stdout.splitlines()[:-1])
    assert "hidden to fit 44 characters" in result.stderr
    assert result.stdout.splitlines()[0].split()[0] == "id"


def _on_a_tty(*args: str, env: dict[str, str]) -> str:
    """What the CLI writes to a pseudo-terminal."""
    import pty

    primary, secondary = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "runcard", *args],
        stdout=secondary,
        stderr=subprocess.PIPE,
        env={**base, "COLUMNS": "200", "TERM": "xterm", **env},
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(primary)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    make_sweep()
    assert "\x1b[" in _on_a_tty("runs", "sweep", env={})
    assert "\x1b[" not in _on_a_tty("runs", "sweep", env={"NO_COLOR": "1"})
    assert "\x1b[" not in cli("runs", "sweep", env={"TERM": "xterm"}).stdout


def test_the_store_comes_from_dir_else_runcard_dir(
    make_store: Callable[[str], Path | str],
) -> None:
    other = make_store("elsewhere")
    with runcard.init(project="far", dir=str(other), config={"x": 1}) as run:
        pass
    assert cli("show", run.path).returncode == 1
    assert cli("show", run.path, "--dir", str(other)).returncode == 0
    assert cli("--dir", str(other), "show", run.id).returncode == 0
    assert cli("show", run.id, env={"RUNCARD_DIR": str(other)}).returncode == 0


# -- show, diff ----------------------------------------------------------------------------------
def test_show_prints_fields_config_with_sources_and_descriptions_summary_and_host(
    tmp_path: Path,
) -> None:
    (tmp_path / "config-defaults.yaml").write_text(
        "lr:\n  desc: learning rate of the optimiser\n  value: 0.01\n"
    )
    config = {"model": {"depth": 4, "act": None}, "name": "1e-3"}
    with runcard.init(project="p", config=config, tags=["a", "b"], notes="first try") as run:
        run.log({"acc": 0.9})
    for path in (run.path, f"p/{run.id}", run.id):
        result = cli("show", path)
        assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"run       {run.path}  ({run.name})" in out
    assert "tags      a, b" in out and "notes     first try" in out
    assert "learning rate of the optimiser" in out and "defaults-file" in out
    assert "  model\n    depth" in out and "null" in out and '"1e-3"' in out
    assert "summary\n  acc  0.9" in out
    assert "argv" in out and "python" in out
    data = as_json("show", run.path)
    assert data["config"] == {"lr": 0.01, **config}
    assert data["descriptions"] == {"lr": "learning rate of the optimiser"}
    assert data["summary"] == {"acc": 0.9} and data["metadata"]["cwd"] == str(tmp_path)


def test_diff_keeps_missing_null_and_values_apart_and_shows_summaries_side_by_side() -> None:
    runs = make_dropouts()
    a, b, c = runs["missing"], runs["null"], runs["a"]
    result = cli("diff", a.path, b.id, f"drop/{c.id}")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("dropout"))
    assert line.split() == ["dropout", "<missing>", "null", "0.2"]
    assert "lr" not in [x.split()[0] for x in result.stdout.splitlines() if x.strip()]
    assert "1 config key differs, 1 is the same (--all shows them)" in result.stdout
    data = as_json("diff", a.path, b.path, c.path)
    assert data["config"] == {"dropout": {b.path: None, c.path: 0.2}}
    assert data["summary"] == {"acc": {a.path: 0.5, b.path: 0.5, c.path: 0.5}}
    everything = as_json("diff", a.path, b.path, "--all")
    assert everything["config"]["lr"] == {a.path: 0.1, b.path: 0.1}


# -- config, blame, rerun --------------------------------------------------------------------------
TRICKY = {
    "float": 2.0,
    "int": 7,
    "tiny": 1e-5,
    "big": 10**20,
    "inf": float("inf"),
    "yes": True,
    "nothing": None,
    "number_text": "1e-3",
    "bool_text": "true",
    "null_text": "null",
    "date_text": "2025-01-31",
    "empty_text": "",
    "lines": "a\nb: c",
    "unicode": "α→β",
    "list": [1, 2.0, "3", None, [True]],
    "nested": {"a": {"b": 1.5, "c": "x"}},
    "looks_like_a_description": {"value": 3, "desc": "not one"},
}


def typed(value: Any) -> Any:
    """`value` with the type of every leaf, so that 2 and 2.0 compare different."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


REPRODUCE = """\
import runcard
with runcard.init(project="again") as run:
    pass
print(run.path)
"""


@pytest.mark.parametrize("format", ["yaml", "json"])
def test_config_prints_a_file_that_reproduces_the_run_with_configs(
    tmp_path: Path, format: str
) -> None:
    (tmp_path / "config-defaults.yaml").write_text("lr:\n  desc: the step size\n  value: 0.5\n")
    config = {k: v for k, v in TRICKY.items() if format == "yaml" or k != "inf"}
    with runcard.init(project="p", config=config) as run:
        pass
    exported = tmp_path / f"exported.{format}"
    result = cli("config", run.path, "--format", format, "-o", str(exported))
    assert result.returncode == 0, result.stderr
    assert cli("config", run.id, "--format", format).stdout == exported.read_text()
    script = tmp_path / "elsewhere" / "reproduce.py"
    script.parent.mkdir()
    script.write_text(REPRODUCE)
    again = subprocess.run(
        [sys.executable, str(script), "--configs", str(exported)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    copy = runcard.Api().run(again.stdout.strip())
    original = runcard.Api().run(run.path)
    assert typed(copy.config) == typed(original.config)
    assert copy.descriptions == original.descriptions == {"lr": "the step size"}
    assert copy.provenance()["lr"][0]["source"] == "configs-file"


def test_config_blame_shows_each_keys_source_and_revisions(tmp_path: Path) -> None:
    (tmp_path / "config-defaults.yaml").write_text("lr: 0.01\nbatch: 32\n")
    with runcard.init(project="p", config={"batch": 64, "model": {"depth": 2}}) as run:
        run.log({"loss": 1.0})
        run.config.update({"lr": 0.02}, allow_val_change=True)
    result = cli("config", "blame", run.path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["key", "value", "source", "detail", "step", "time"]
    lr = lines.index(next(x for x in lines if x.startswith("lr ")))
    assert lines[lr].split()[:3] == ["lr", "0.01", "defaults-file"]
    assert lines[lr + 1].split()[:2] == ["0.02", "code"]
    assert "test_cli.py:" in lines[lr + 1]
    only = cli("config", "blame", run.id, "model").stdout.splitlines()
    assert [x.split()[0] for x in only[1:]] == ["model.depth"]
    history = as_json("config", "blame", run.path, "config.lr")
    assert [(r["value"], r["source"]) for r in history["lr"]] == [
        (0.01, "defaults-file"),
        (0.02, "code"),
    ]
    missing = cli("config", "blame", run.path, "lrr")
    assert missing.returncode == 1
    assert f"run {run.path} has no config key 'lrr'; did you mean lr?" in missing.stderr


TRAIN = """\
import argparse
import runcard

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()
with runcard.init(project="train", config=args) as run:
    run.config.setdefaults({"width": 8})
print(run.path)
"""


def test_rerun_prints_a_command_line_that_runs_the_script_again_with_the_same_config(
    tmp_path: Path,
) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    (tmp_path / "config-defaults.yaml").write_text("lr:\n  desc: step size\n  value: 0.3\n")
    first = subprocess.run(
        [sys.executable, str(script), "--epochs", "3"], capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    original = runcard.Api().run(first.stdout.strip())
    result = cli("rerun", original.path)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    saved = tmp_path / f"{original.id}.yaml"
    assert f"--configs {saved} --epochs 3" in line and line.startswith(f"cd {tmp_path} && ")
    assert f"the config of {original.path} is in {saved}" in result.stderr
    (tmp_path / "config-defaults.yaml").write_text("lr: 99\n")  # a rerun must not read it
    again = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    copy = runcard.Api().run(again.stdout.strip())
    assert typed(copy.config) == typed(original.config)
    assert copy.config == {"lr": 0.3, "epochs": 3, "width": 8}
    assert copy.metadata["argv"] == original.metadata["argv"]
    assert cli("rerun", original.path).returncode == 0  # the same file again is fine
    saved.write_text("something else")
    clash = cli("rerun", original.path)
    assert clash.returncode == 2 and "exists" in clash.stderr


def test_rerun_of_a_run_started_without_a_script_says_so() -> None:
    code = "import runcard\nwith runcard.init(project='p') as r: pass\nprint(r.path)"
    interactive = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert interactive.returncode == 0, interactive.stderr
    result = cli("rerun", interactive.stdout.strip())
    assert result.returncode == 1
    assert "was started from python -c: there is no script to run again" in result.stderr


# -- exit codes --------------------------------------------------------------------------------
def test_exit_codes_scripts_can_rely_on() -> None:
    runs = make_sweep()
    assert cli("show", runs[0].path).returncode == 0
    unknown = cli("show", "sweep/nosuchrun")
    assert unknown.returncode == 1 and "no run 'sweep/nosuchrun'" in unknown.stderr
    assert cli("diff", runs[0].path, "nosuchrun").returncode == 1
    assert cli("config", "nosuchrun").returncode == 1
    assert cli("diff", runs[0].path).returncode == 2
    assert cli("runs", "--limit", "0").returncode == 2
    assert cli("frobnicate").returncode == 2
    assert cli().returncode == 2


@pytest.mark.sqlite_only  # a damaged database file; tests/server has PostgreSQL's twin
def test_a_store_that_cannot_be_read_exits_3_and_names_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "runcard.db").write_bytes(b"this is not a database" * 100)
    result = cli("runs", "--dir", str(broken))
    assert result.returncode == 3
    assert str(broken / "runcard.db") in result.stderr and "Traceback" not in result.stderr


def test_a_run_id_in_two_projects_must_be_given_with_its_project() -> None:
    for project in ("one", "two"):
        with runcard.init(project=project, id="samesame"):
            pass
    result = cli("show", "samesame")
    assert result.returncode == 2
    assert "run id 'samesame' is in several projects" in result.stderr
    assert cli("show", "two/samesame").returncode == 0


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error() -> None:
    make_sweep()
    pipe = subprocess.run(
        f"{sys.executable} -m runcard runs sweep --format json | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pipe.returncode == 0 and "Traceback" not in pipe.stderr


def test_importing_runcard_does_not_import_the_cli() -> None:
    code = "import sys, runcard; print(sorted(m for m in sys.modules if 'runcard._cli' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_help_documents_the_filter_syntax_grouping_and_exit_codes() -> None:
    text = cli("runs", "--help").stdout
    for fragment in ("KEY>=VALUE", "KEY!?", "tags: has the tag", "Student's t", "exit codes: 0"):
        assert fragment in text
