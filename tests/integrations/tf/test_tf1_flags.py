"""TensorFlow v1 flags (the seed's `config.update(tf.app.flags.FLAGS)`), in the tf env."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import runcard

# The seed's snippet, with `tf.app.flags` as TF 2 spells it and the help it forgot.
TF1 = textwrap.dedent(
    """
    import runcard as wandb
    import tensorflow as tf

    wandb.init(project="flags")
    wandb.config.epochs = 4

    flags = tf.compat.v1.app.flags
    flags.DEFINE_string("data_dir", "/tmp/data", "Where the data is.")
    flags.DEFINE_integer("batch_size", 128, "Batch size.")
    wandb.config.update(flags.FLAGS)  # add tensorflow flags as config
    print(wandb.run.path)
    wandb.finish()
    """
)

ABSL = (
    TF1.replace("import tensorflow as tf\n", "from absl import flags as absl_flags\n")
    .replace("flags = tf.compat.v1.app.flags\n", "flags = absl_flags\n")
    .replace(
        "wandb.config.update(flags.FLAGS)",
        "flags.FLAGS(sys.argv)\nwandb.config.update(flags.FLAGS)",
    )
)


def run(tmp_path: Path, code: str, *args: str) -> runcard.ApiRun:
    script = tmp_path / "train.py"
    script.write_text("import sys\n" + code)
    result = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return runcard.Api().run(result.stdout.strip().splitlines()[-1])


def test_tf_v1_flags_give_the_same_config_as_absl_flags(tmp_path: Path) -> None:
    through_tf = run(tmp_path, TF1, "--batch_size=64")
    through_absl = run(tmp_path, ABSL, "--batch_size=64")
    assert through_tf.config == {"epochs": 4, "data_dir": "/tmp/data", "batch_size": 64}
    assert through_tf.config == through_absl.config
    for run_ in (through_tf, through_absl):
        provenance = run_.provenance()
        assert provenance["batch_size"][0]["source"] == "absl-cli"
        assert provenance["data_dir"][0]["source"] == "absl-default"
        assert run_.descriptions == {"data_dir": "Where the data is.", "batch_size": "Batch size."}


def test_tensorflows_own_flags_are_not_recorded(tmp_path: Path) -> None:
    stored = run(tmp_path, TF1)
    assert set(stored.config) == {"epochs", "data_dir", "batch_size"}
