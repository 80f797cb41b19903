"""wandb docs, "Resume a run": resume a run that must use the same run ID (it stopped or
crashed). The snippet is unchanged but for the import line and its placeholders."""

import runcard as wandb

run = wandb.init(entity="nico", project="awesome-project", id="pgbn9y21", resume="must")

# training code: three epochs from where the run left off
print("resumed" if run.resumed else "new", run.step)
for epoch in range(run.step, run.step + 3):
    run.log({"loss": 1.0 / (epoch + 1), "epoch": epoch})
run.finish()
