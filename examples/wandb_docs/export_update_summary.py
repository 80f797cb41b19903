import runcard as wandb

api = wandb.Api()

run = api.run("<entity>/<project>/<run_id>")
run.summary["new_key"] = "new value"
run.summary.update()
