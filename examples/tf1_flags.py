"""The seed's TensorFlow v1 flags snippet (tf.app.flags is tf.compat.v1.app.flags in TF 2).

python examples/tf1_flags.py --batch_size=64
"""

import tensorflow as tf

import runcard as wandb

wandb.init(project="tf1-flags")
wandb.config.epochs = 4

flags = tf.compat.v1.app.flags
flags.DEFINE_string("data_dir", "/tmp/data", "Where the data is.")
flags.DEFINE_integer("batch_size", 128, "Batch size.")
wandb.config.update(flags.FLAGS)  # add tensorflow flags as config
print(f"recorded {wandb.run.path}: {dict(wandb.config.items())}")
wandb.finish()
