"""runcard for PyTorch Lightning: `Trainer(logger=RuncardLogger(...))`.

Usage::

    import lightning.pytorch as L          # or: import pytorch_lightning as L
    from runcard_lightning import RuncardLogger

    class Model(L.LightningModule):
        def __init__(self, lr: float = 0.01, optimizer: dict | None = None) -> None:
            super().__init__()
            self.save_hyperparameters()    # lands in the run config, nested, source "lightning"
        ...

    logger = RuncardLogger(project="mnist", tags=["baseline"])
    trainer = L.Trainer(max_epochs=3, logger=logger)
    trainer.fit(Model(lr=0.05), datamodule=data)   # run finished (failed if fit raised)
    trainer.test(datamodule=data)                  # the same run, continued

    runcard.Api().run(f"mnist/{logger.version}").config
    # {"lr": 0.05, "optimizer": {...}, <datamodule hparams>, "trainer": {"max_epochs": 3, ...}}

What is recorded:

- the module's and the datamodule's hyperparameters (`save_hyperparameters()`, or any
  `logger.log_hyperparams(...)`: dict, Namespace, AttributeDict, dataclass, OmegaConf), merged into
  the config; calling it again with equal values records nothing;
- the Trainer's key settings under `trainer.*` (max_epochs, max_steps, precision,
  accumulate_grad_batches, gradient_clip_val, strategy, accelerator, devices, ..., and `seed`
  after `seed_everything()`);
- `self.log(...)` metrics in the history at Lightning's step; checkpoint paths in the summary
  under `checkpoint.*`;
- the outcome: finished, or failed (exit code 130 for a KeyboardInterrupt).

Only global rank zero starts a run or writes. Needs `pip install "runcard[lightning]"`.
"""

from __future__ import annotations

from runcard_lightning.logger import RuncardLogger

__all__ = ["RuncardLogger"]
