# -- defined by the reader (the page leaves these to you) --
import argparse
import random

import runcard as wandb

args = argparse.Namespace(epochs=5)


def test():
    return random.random(), random.random()


# -- the page's snippet --
wandb.init(config=args)

best_accuracy = 0
for epoch in range(1, args.epochs + 1):
    test_loss, test_accuracy = test()
    if test_accuracy > best_accuracy:
        wandb.run.summary["best_accuracy"] = test_accuracy
        best_accuracy = test_accuracy
