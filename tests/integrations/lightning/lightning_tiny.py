"""A tiny regression model and datamodule for both Lightning import paths, and a script that fits
them once with `RuncardLogger` (the subprocess tests run it).

    python lightning_tiny.py --package lightning.pytorch --project demo [--devices 2 --strategy ddp_spawn]

The classes live at module level so that DDP spawn can pickle them.
"""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from runcard_lightning import RuncardLogger

PACKAGES = ("lightning.pytorch", "pytorch_lightning")

DEFAULT_OPTIMIZER = {"name": "sgd", "momentum": 0.9}
DEFAULT_DATA = {"samples": 16, "noise": 0.1}


class _Model:
    """The body shared by the module classes of both packages."""

    def __init__(self, lr: float = 0.05, hidden: int = 4, optimizer: dict[str, Any] | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(2, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1)
        )
        self.failure: BaseException | None = None  # raised by training_step at fail_at_batch
        self.fail_at_batch = 1
        self.lr_in_setup: float | None = None  # set as hparams.lr in setup(), as a tuner would

    def setup(self, stage: str) -> None:
        if self.lr_in_setup is not None:
            self.hparams.lr = self.lr_in_setup

    def _loss(self, batch: Any) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.failure is not None and batch_idx == self.fail_at_batch:
            raise self.failure
        loss = self._loss(batch)
        self.log("loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.log("val_loss", self._loss(batch))

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self.log("test_loss", self._loss(batch))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        momentum = (self.hparams.optimizer or DEFAULT_OPTIMIZER)["momentum"]
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=momentum)


class _Data:
    """Synthetic regression data: y = x0 - 2 x1 + noise."""

    def __init__(self, batch_size: int = 4, data: dict[str, Any] | None = None):
        super().__init__()
        self.save_hyperparameters()

    def setup(self, stage: str) -> None:
        spec = self.hparams.data or DEFAULT_DATA
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(spec["samples"], 2, generator=generator)
        noise = spec["noise"] * torch.randn(spec["samples"], 1, generator=generator)
        self.dataset = TensorDataset(x, x[:, :1] - 2 * x[:, 1:] + noise)

    def _loader(self) -> DataLoader:
        return DataLoader(self.dataset, batch_size=self.hparams.batch_size)

    def train_dataloader(self) -> DataLoader:
        return self._loader()

    def val_dataloader(self) -> DataLoader:
        return self._loader()

    def test_dataloader(self) -> DataLoader:
        return self._loader()


def _package(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


_L = _package("lightning.pytorch")
_PL = _package("pytorch_lightning")

if _L is not None:

    class LightningTinyModel(_Model, _L.LightningModule):
        pass

    class LightningTinyData(_Data, _L.LightningDataModule):
        pass


if _PL is not None:

    class PLTinyModel(_Model, _PL.LightningModule):
        pass

    class PLTinyData(_Data, _PL.LightningDataModule):
        pass


def classes(package: str) -> tuple[type, type, Any]:
    """(module class, datamodule class, the package) for `package`."""
    if package == "lightning.pytorch":
        return LightningTinyModel, LightningTinyData, _L
    return PLTinyModel, PLTinyData, _PL


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", choices=PACKAGES, required=True)
    parser.add_argument("--project", default="tiny")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--direct-calls", action="store_true", help="use the logger by hand too")
    args = parser.parse_args()

    model_class, data_class, pl = classes(args.package)
    logger = RuncardLogger(project=args.project)
    if args.direct_calls:  # what user code may do on any rank, outside the Trainer's hooks
        logger.log_hyperparams({"extra": {"by_hand": True}})
        logger.log_metrics({"by_hand": 1.0}, step=0)
        logger.experiment.config.update({"through_experiment": 1})
        logger.experiment.summary["pinned"] = 1
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        devices=args.devices,
        strategy=args.strategy,
        logger=logger,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    trainer.fit(model_class(optimizer=DEFAULT_OPTIMIZER), datamodule=data_class(data=DEFAULT_DATA))
    print(json.dumps({"version": logger.version}))


if __name__ == "__main__":
    main()
