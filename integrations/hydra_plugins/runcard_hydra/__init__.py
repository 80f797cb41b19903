"""Hydra plugins shipped with runcard (Hydra discovers them by scanning `hydra_plugins`)."""
