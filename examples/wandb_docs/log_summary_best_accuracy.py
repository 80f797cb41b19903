# -- defined by the reader (the page leaves these to you) --
import argparse
import random

args = argparse.Namespace(epochs=5)


def test():
    return random.random(), random.random()


# -- the page's snippet --
import runcard as wandb
import argparse

with wandb.init(config=args) as run:
  best_accuracy = 0
  for epoch in range(1, args.epochs + 1):
      test_loss, test_accuracy = test()
      if test_accuracy > best_accuracy:
          run.summary["best_accuracy"] = test_accuracy
          best_accuracy = test_accuracy
