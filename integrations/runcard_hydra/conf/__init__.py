"""Config files for Hydra: the `hydra/callbacks/runcard` option (found through `pkg://`)."""
