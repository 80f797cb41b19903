"""wandb docs, "Resume a run" (docs.wandb.ai/models/runs/resuming): resume a run without
overriding an existing one. The snippet is unchanged but for the import line and its <entity>,
<project> and <run ID> placeholders; the loop below it stands for "your training code"."""

import runcard as wandb

run = wandb.init(entity="nico", project="awesome-project", id="pgbn9y21", resume="allow")

# training code: three epochs from where the run left off
print("resumed" if run.resumed else "new", run.step)
for epoch in range(run.step, run.step + 3):
    run.log({"loss": 1.0 / (epoch + 1), "epoch": epoch})
run.finish()
