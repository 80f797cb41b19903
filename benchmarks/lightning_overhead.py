"""What `RuncardLogger` adds to a small Lightning `fit`: `python benchmarks/lightning_overhead.py`.

Fits a tiny model again and again on the CPU, each fit fresh (new model, same seed, new Trainer,
new logger), taking turns with and without the logger (the first fit of each kind is a warm-up:
lazy initialisation, the store's creation). Prints the median fit time of each kind and the
overhead in percent against the fit without a logger. "a Logger that does nothing" shows what
Lightning itself spends on having a logger (its metric collection), so the difference between
that line and RuncardLogger's is runcard's own cost. The runs go to a temporary store. A
benchmark, not a test: nothing is asserted.

    python benchmarks/lightning_overhead.py [--fits 7] [--epochs 5] [--samples 2048] [--batch 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from runcard import _writer
from runcard_lightning import RuncardLogger

try:
    import lightning.pytorch as L
except ImportError:
    import pytorch_lightning as L

warnings.filterwarnings("ignore", ".*LeafSpec.*", FutureWarning)  # torch 2.13 vs Lightning 2.6
warnings.filterwarnings("ignore", ".*does not have many workers.*")
FLUSH_SECONDS = _writer.FLUSH_SECONDS


class TinyModel(L.LightningModule):
    def __init__(self, features: int = 20, hidden: int = 64, lr: float = 1e-3) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(features, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, 1),
        )

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class NoOpLogger(L.loggers.Logger):
    """A Logger that records nothing: Lightning's own cost of having a logger."""

    @property
    def name(self) -> str:
        return "noop"

    @property
    def version(self) -> str:
        return "0"

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=7, help="timed fits of each kind")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # steadier timings on a shared machine; same for every kind
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.samples, 20, generator=generator)
    y = x @ torch.randn(20, 1, generator=generator)
    split = int(args.samples * 0.8)
    train = DataLoader(TensorDataset(x[:split], y[:split]), batch_size=args.batch)
    val = DataLoader(TensorDataset(x[split:], y[split:]), batch_size=args.batch)
    store = tempfile.mkdtemp(prefix="runcard-lightning-bench-")
    root = tempfile.mkdtemp(prefix="runcard-lightning-bench-root-")

    def runcard_logger(flush_seconds: float = FLUSH_SECONDS) -> Callable[[], Any]:
        def make() -> Any:
            _writer.FLUSH_SECONDS = flush_seconds
            return RuncardLogger(project="lightning-bench", dir=store)

        return make

    variants: dict[str, tuple[Callable[[], Any], int]] = {
        "without logger": (lambda: False, 50),
        "a Logger that does nothing": (NoOpLogger, 50),
        "RuncardLogger() (a run per fit)": (runcard_logger(), 50),
        # a diagnosis, not a setting: what the 20 ms flushes cost the training thread
        "RuncardLogger(), writer flushing at finish only": (runcard_logger(3600.0), 50),
        "without logger, log_every_n_steps=1": (lambda: False, 1),
        "a Logger that does nothing, every step": (NoOpLogger, 1),
        "RuncardLogger(), log_every_n_steps=1": (runcard_logger(), 1),
    }
    baselines = {50: "without logger", 1: "without logger, log_every_n_steps=1"}

    def fit(make_logger: Callable[[], Any], every: int) -> float:
        L.seed_everything(0, verbose=False)
        model = TinyModel()
        trainer = L.Trainer(
            max_epochs=args.epochs,
            accelerator="cpu",
            devices=1,
            logger=make_logger(),
            log_every_n_steps=every,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=False,
            default_root_dir=root,
        )
        start, start_cpu = time.perf_counter(), time.process_time()
        trainer.fit(model, train, val)  # with a RuncardLogger: init and finish included
        return time.perf_counter() - start, time.process_time() - start_cpu

    times: dict[str, list[float]] = {kind: [] for kind in variants}
    cpu_times: dict[str, list[float]] = {kind: [] for kind in variants}
    for make_logger, every in variants.values():  # warm-up
        fit(make_logger, every)
    kinds = list(variants)
    for i in range(args.fits):
        for kind in kinds if i % 2 == 0 else reversed(kinds):  # take turns, both orders
            wall, cpu = fit(*variants[kind])
            times[kind].append(wall)
            cpu_times[kind].append(cpu)

    steps = args.epochs * -(-split // args.batch)
    print(
        f"Lightning {L.__version__} ({L.__name__}), torch {torch.__version__}, CPU: "
        f"{args.samples} samples (20% validation), batch {args.batch}, {args.epochs} epochs = "
        f"{steps} training steps per fit; median of {args.fits} fresh fits (seed 0), kinds "
        "taking turns"
    )
    width = max(map(len, kinds))
    print(f"  {'':<{width}}  {'wall':>9}     {'overhead':>8}   {'CPU':>9}     {'overhead':>8}")
    for kind in kinds:
        base_kind = baselines[variants[kind][1]]
        line = f"  {kind:<{width}}"
        for series in (times, cpu_times):
            median = statistics.median(series[kind])
            base = statistics.median(series[base_kind])
            overhead = f"{100 * (median - base) / base:+7.2f} %" if kind != base_kind else ""
            line += f"  {median * 1000:9.1f} ms  {overhead:>9}"
        print(line)
    print("  overhead: against the line without logger with the same log_every_n_steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
