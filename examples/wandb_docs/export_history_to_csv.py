import runcard as wandb

api = wandb.Api()

# run is specified by <entity>/<project>/<run_id>
run = api.run("<entity>/<project>/<run_id>")

# save the metrics for the run to a csv file
metrics_dataframe = run.history()
metrics_dataframe.to_csv("metrics.csv")
