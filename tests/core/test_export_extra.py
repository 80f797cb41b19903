"""`runcard export` without the export extra: CSV and JSONL need nothing, Parquet says what to
install (the round trips themselves are tested in the export env, tests/integrations/export)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import runcard

WITHOUT_PANDAS = (
    "import sys; sys.modules['pandas'] = sys.modules['pyarrow'] = None; "
    "from runcard._cli import main; sys.exit(main(sys.argv[1:]))"
)


def export_without_pandas(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", WITHOUT_PANDAS, "export", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_parquet_without_the_extra_names_it_and_jsonl_needs_nothing(tmp_path: Path) -> None:
    run = runcard.init(project="p", config={"lr": 0.1, "layers": [64, 32]})
    run.log({"loss": 0.5}, step=3)
    run.finish()
    parquet = export_without_pandas("p", "--to", str(tmp_path / "runs.parquet"))
    assert parquet.returncode == 2
    assert "pip install 'runcard[export]'" in parquet.stderr
    assert not (tmp_path / "runs.parquet").exists()

    jsonl = export_without_pandas("p", "--to", str(tmp_path / "runs.jsonl"), "--history")
    assert jsonl.returncode == 0, jsonl.stderr
    (row,) = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert row["id"] == run.id and row["config.lr"] == 0.1 and row["config.layers"] == [64, 32]
    history = (tmp_path / "runs.history.jsonl").read_text().splitlines()
    assert [json.loads(line)["value"] for line in history] == [0.5]
    assert json.loads(history[0])["step"] == 3


def test_to_pandas_without_pandas_names_the_extra() -> None:
    runcard.init(project="p").finish()
    script = (
        "import sys; sys.modules['pandas'] = None\n"
        "import runcard\n"
        "try:\n"
        "    runcard.Api().runs('p').to_pandas()\n"
        "except runcard.UsageError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "pip install 'runcard[export]'" in result.stdout, result.stderr
