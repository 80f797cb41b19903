"""Without the `analysis` extra (the core env), importance is a clear error naming the extra."""

from __future__ import annotations

import pytest

import runcard
from runcard._cli import main


def test_importance_without_the_extra_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(12):
        run = runcard.init(project="p", config={"lr": i / 10})
        run.summary["loss"] = 1 / (i + 1)
        run.finish()
    with pytest.raises(runcard.UsageError, match=r"'analysis' extra .*runcard\[analysis\]"):
        runcard.Api().importance("p", "loss")
    assert main(["importance", "p", "--metric", "loss"]) == 2
    assert "pip install 'runcard[analysis]'" in capsys.readouterr().err
