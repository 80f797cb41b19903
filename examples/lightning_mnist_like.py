"""PyTorch Lightning with runcard: a small classifier on synthetic, MNIST-like data (8x8 images of
10 classes), fitted and tested with `RuncardLogger`. Runs in a few seconds on a CPU.

    pip install "runcard[lightning]"
    python examples/lightning_mnist_like.py
    runcard show <the run path it prints>
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

import runcard
from runcard_lightning import RuncardLogger

try:
    import lightning.pytorch as L
except ImportError:  # the [lightning] extra installs pytorch-lightning; either works
    import pytorch_lightning as L


class Classifier(L.LightningModule):
    def __init__(self, model: dict, optimizer: dict) -> None:
        super().__init__()
        self.save_hyperparameters()  # -> run config, nested, source "lightning"
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, model["hidden"]),
            nn.ReLU(),
            nn.Dropout(model["dropout"]),
            nn.Linear(model["hidden"], 10),
        )

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("test_acc", (self.net(x).argmax(dim=1) == y).float().mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.optimizer["lr"])


class MnistLike(L.LightningDataModule):
    """Each class is a random 8x8 prototype; samples are prototypes plus noise."""

    def __init__(self, batch_size: int = 64, samples: int = 1024, noise: float = 0.8) -> None:
        super().__init__()
        self.save_hyperparameters()  # merged with the module's hparams into the config

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(0)
        prototypes = torch.randn(10, 8, 8, generator=generator)
        labels = torch.randint(0, 10, (self.hparams.samples,), generator=generator)
        noise = self.hparams.noise * torch.randn(self.hparams.samples, 8, 8, generator=generator)
        data = TensorDataset(prototypes[labels] + noise, labels)
        self.train_set, self.val_set, self.test_set = random_split(
            data, [0.8, 0.1, 0.1], generator=generator
        )

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_set, batch_size=self.hparams.batch_size)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.test_set, batch_size=self.hparams.batch_size)


def main() -> None:
    L.seed_everything(0, verbose=False)  # recorded as trainer.seed
    logger = RuncardLogger(project="lightning-mnist-like", tags=["example"])
    trainer = L.Trainer(
        max_epochs=2,
        logger=logger,
        log_every_n_steps=5,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    model = Classifier(model={"hidden": 32, "dropout": 0.1}, optimizer={"name": "adam", "lr": 3e-3})
    data = MnistLike()
    trainer.fit(model, datamodule=data)  # the run is finished when fit returns
    trainer.test(model, datamodule=data)  # the same run, continued and finished again

    stored = runcard.Api().run(f"{logger.name}/{logger.version}")
    print(stored.path, stored.state)
    print("config:", stored.config)
    print("summary:", {k: v for k, v in stored.summary.items() if not k.startswith("_")})


if __name__ == "__main__":
    main()
