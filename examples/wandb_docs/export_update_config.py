import runcard as wandb

api = wandb.Api()

run = api.run("<entity>/<project>/<run_id>")
run.config["key"] = "updated value"
run.update()
