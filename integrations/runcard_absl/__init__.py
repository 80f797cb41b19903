"""runcard for absl programs: record the flags a program defines, then run it.

Usage::

    from absl import flags
    import runcard_absl

    flags.DEFINE_integer("batch_size", 32, "Examples per step.")
    FLAGS = flags.FLAGS

    def main(argv):
        ...  # runcard.log(...) goes to the run started for this program

    if __name__ == "__main__":
        runcard_absl.run(main, project="my-project")  # instead of absl.app.run(main)

The run's config holds the flags the program's own modules define (not absl's, nor those
TensorFlow registers), each flag's help as its description, and as provenance whether it was
given on the command line (`absl-cli`) or left at its default (`absl-default`), with the
defining module. Flags the program changes while it runs are recorded as revisions when it
ends. The run ends with the program: finished, or failed on an exception or a non-zero exit.

Without this module, `runcard.config.update(FLAGS)` records the same flags; it also accepts
TensorFlow's `tf.compat.v1.flags.FLAGS`.
"""

from __future__ import annotations

try:
    import absl.app  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in an env without absl
    raise ImportError('runcard_absl needs absl-py: pip install "runcard[absl]"') from exc

from runcard_absl._app import run

__all__ = ["run"]
