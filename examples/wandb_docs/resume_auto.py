"""wandb docs, "Resume a run": enable runs to automatically resume, in the page's
`with wandb.init(...) as run:` form. Unchanged but for the import line and its placeholders."""

import runcard as wandb

with wandb.init(entity="nico", project="awesome-project", id="pgbn9y21", resume="auto") as run:
    # training code: three epochs from where the run left off
    print("resumed" if run.resumed else "new", run.step)
    for epoch in range(run.step, run.step + 3):
        run.log({"loss": 1.0 / (epoch + 1), "epoch": epoch})
