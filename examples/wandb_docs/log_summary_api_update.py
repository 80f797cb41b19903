# -- defined by the reader (the page leaves these to you) --
import numpy as np

import runcard as wandb

# -- the page's snippet --
api = wandb.Api()
run = api.run("username/project/run_id")
run.summary["tensor"] = np.random.random(1000)
run.summary.update()
