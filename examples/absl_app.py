"""An absl program whose flags become the run's config (runcard_absl.run instead of app.run).

python examples/absl_app.py --batch_size=64 --optimizer=sgd
runcard show <the printed run path>   # or: runcard.Api().run(path).provenance()
"""

import random

from absl import flags

import runcard
import runcard_absl

flags.DEFINE_integer("batch_size", 32, "Examples per step.")
flags.DEFINE_float("learning_rate", 0.01, "Step size.", lower_bound=0.0)
flags.DEFINE_enum("optimizer", "adam", ["adam", "sgd"], "Optimizer.")
flags.DEFINE_integer("epochs", 5, "Passes over the data.")
FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    loss = 1.0
    for epoch in range(FLAGS.epochs):
        loss *= 0.7 + random.random() * 0.1
        runcard.log({"epoch": epoch, "loss": loss})
    print(f"recorded {runcard.run.path}")


if __name__ == "__main__":
    runcard_absl.run(main, project="absl-example")
