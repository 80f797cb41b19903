"""What `RuncardLogger` adds to a small Lightning `fit`: `python benchmarks/lightning_overhead.py`.

Two tiny models are fitted again and again on the CPU, each fit fresh (new model, same seed, new
Trainer, new logger, so every fit is a run of its own), the kinds taking turns in both orders
(the first fit of each kind is a warm-up: lazy initialisation, the store's creation):

- a small CNN on MNIST-sized images (28x28, 10 classes, batch 64): a step costs a few ms, as a
  real small model's does on a CPU. The SPEC's "under 1 % of a small training loop" is this one.
- an MLP on 20 features (batch 32): a step costs about 1 ms, little more than Lightning's own
  bookkeeping. The worst case for any logger; its lines show what a run's start and end, and a
  logged step, cost.

Prints each kind's median fit time (wall clock, and process CPU time, which includes runcard's
writer thread) with the overhead in percent against the fit without a logger; "a Logger that
does nothing" is Lightning's own cost of having a logger. On a shared machine fit times move by
more than 1 % from fit to fit, so it also prints RuncardLogger's own cost, which moves far less:
the training thread's time inside the logger's methods plus the writer thread's CPU time. The
runs go to a temporary store. A benchmark, not a test: nothing is asserted.

    python benchmarks/lightning_overhead.py [--fits 9] [--scale 1.0]
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
warnings.filterwarnings("ignore", ".*smaller than the logging interval.*")  # --scale below 1
FLUSH_SECONDS = _writer.FLUSH_SECONDS


class Model(L.LightningModule):
    def __init__(self, kind: str, lr: float = 1e-3) -> None:
        super().__init__()
        self.save_hyperparameters()
        if kind == "cnn":
            self.net: torch.nn.Module = torch.nn.Sequential(
                torch.nn.Conv2d(1, 8, 3, padding=1),
                torch.nn.ReLU(),
                torch.nn.MaxPool2d(2),
                torch.nn.Conv2d(8, 8, 3, padding=1),
                torch.nn.ReLU(),
                torch.nn.MaxPool2d(2),
                torch.nn.Flatten(),
                torch.nn.Linear(8 * 7 * 7, 32),
                torch.nn.ReLU(),
                torch.nn.Linear(32, 10),
            )
            self.loss: Callable[..., torch.Tensor] = torch.nn.functional.cross_entropy
        else:
            self.net = torch.nn.Sequential(
                torch.nn.Linear(20, 64),
                torch.nn.ReLU(),
                torch.nn.Linear(64, 64),
                torch.nn.ReLU(),
                torch.nn.Linear(64, 1),
            )
            self.loss = torch.nn.functional.mse_loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self.loss(self.net(x), y)
        self.log("loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", self.loss(self.net(x), y))

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


class TimedRuncardLogger(RuncardLogger):
    """RuncardLogger adding up the wall time the training thread spends in what Lightning calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spent = 0.0

    def _timed(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            self.spent += time.perf_counter() - start

    @property
    def experiment(self) -> Any:
        return self._timed(lambda: super(TimedRuncardLogger, self).experiment)

    @property
    def log_dir(self) -> str | None:
        return self._timed(lambda: super(TimedRuncardLogger, self).log_dir)

    def log_hyperparams(self, *args: Any, **kwargs: Any) -> None:
        self._timed(super().log_hyperparams, *args, **kwargs)

    def log_graph(self, *args: Any, **kwargs: Any) -> None:
        self._timed(super().log_graph, *args, **kwargs)

    def log_metrics(self, *args: Any, **kwargs: Any) -> None:
        self._timed(super().log_metrics, *args, **kwargs)

    def after_save_checkpoint(self, *args: Any, **kwargs: Any) -> None:
        self._timed(super().after_save_checkpoint, *args, **kwargs)

    def finalize(self, *args: Any, **kwargs: Any) -> None:
        self._timed(super().finalize, *args, **kwargs)


class Workload:
    def __init__(self, kind: str, samples: int, epochs: int, batch: int) -> None:
        generator = torch.Generator().manual_seed(0)
        if kind == "cnn":
            x = torch.randn(samples, 1, 28, 28, generator=generator)
            y = torch.randint(0, 10, (samples,), generator=generator)
        else:
            x = torch.randn(samples, 20, generator=generator)
            y = x @ torch.randn(20, 1, generator=generator)
        split = int(samples * 0.8)
        self.kind, self.epochs = kind, epochs
        self.train = DataLoader(TensorDataset(x[:split], y[:split]), batch_size=batch)
        self.val = DataLoader(TensorDataset(x[split:], y[split:]), batch_size=batch)
        self.steps = epochs * len(self.train)
        self.describe = (
            f"{'CNN, 28x28 images' if kind == 'cnn' else 'MLP, 20 features'}: {samples} samples "
            f"(20% validation), batch {batch}, {epochs} epochs = {self.steps} training steps"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=9, help="timed fits of each kind")
    parser.add_argument("--scale", type=float, default=1.0, help="times the default data sizes")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # steadier timings on a shared machine; same for every kind
    cnn = Workload("cnn", max(int(8192 * args.scale), 80), epochs=2, batch=64)
    mlp = Workload("mlp", max(int(2048 * args.scale), 80), epochs=5, batch=32)
    store = tempfile.mkdtemp(prefix="runcard-lightning-bench-")
    root = tempfile.mkdtemp(prefix="runcard-lightning-bench-root-")

    def runcard_logger(flush_seconds: float = FLUSH_SECONDS) -> Callable[[], Any]:
        def make() -> Any:
            _writer.FLUSH_SECONDS = flush_seconds
            return TimedRuncardLogger(project="lightning-bench", dir=store)

        return make

    # kind -> (workload, make a logger, log_every_n_steps, the kind it is compared with)
    kinds: dict[str, tuple[Workload, Callable[[], Any], int, str]] = {
        "CNN without logger": (cnn, lambda: False, 50, ""),
        "CNN, a Logger that does nothing": (cnn, NoOpLogger, 50, "CNN without logger"),
        "CNN, RuncardLogger": (cnn, runcard_logger(), 50, "CNN without logger"),
        "MLP without logger": (mlp, lambda: False, 50, ""),
        "MLP, a Logger that does nothing": (mlp, NoOpLogger, 50, "MLP without logger"),
        "MLP, RuncardLogger": (mlp, runcard_logger(), 50, "MLP without logger"),
        # a diagnosis, not a setting: the start and end of a run alone, without its writes
        "MLP, RuncardLogger writing at finish only": (
            mlp,
            runcard_logger(3600.0),
            50,
            "MLP without logger",
        ),
        "MLP without logger, log_every_n_steps=1": (mlp, lambda: False, 1, ""),
        "MLP, RuncardLogger, log_every_n_steps=1": (
            mlp,
            runcard_logger(),
            1,
            "MLP without logger, log_every_n_steps=1",
        ),
    }

    def fit(
        work: Workload, make_logger: Callable[[], Any], every: int
    ) -> tuple[float, float, float, float]:
        """Wall and process CPU time of the fit; the training thread's time in the logger, and
        the CPU time of threads other than the training thread (runcard's writer)."""
        L.seed_everything(0, verbose=False)
        model = Model(work.kind)
        logger = make_logger()
        trainer = L.Trainer(
            max_epochs=work.epochs,
            accelerator="cpu",
            devices=1,
            logger=logger,
            log_every_n_steps=every,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=False,
            default_root_dir=root,
        )
        start, start_cpu = time.perf_counter(), time.process_time()
        start_thread = time.thread_time()
        trainer.fit(model, work.train, work.val)  # with a RuncardLogger: init and finish included
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        others = cpu - (time.thread_time() - start_thread)
        return wall, cpu, getattr(logger, "spent", 0.0), others

    walls: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpus: dict[str, list[float]] = {kind: [] for kind in kinds}
    in_logger: dict[str, list[float]] = {kind: [] for kind in kinds}
    writer_cpus: dict[str, list[float]] = {kind: [] for kind in kinds}
    for work, make_logger, every, _ in kinds.values():  # warm-up
        fit(work, make_logger, every)
    order = list(kinds)
    for i in range(args.fits):
        for kind in order if i % 2 == 0 else reversed(order):  # take turns, both orders
            wall, cpu, spent, others = fit(*kinds[kind][:3])
            walls[kind].append(wall)
            cpus[kind].append(cpu)
            in_logger[kind].append(spent)
            writer_cpus[kind].append(others)

    print(
        f"Lightning {L.__version__} ({L.__name__}), torch {torch.__version__}, CPU, one thread; "
        f"{args.fits} fresh fits (seed 0) per kind, kinds taking turns"
    )
    print(f"  {cnn.describe}\n  {mlp.describe}")
    columns = (("median wall", walls), ("median CPU", cpus))
    width = max(map(len, kinds))
    print(f"  {'':<{width}}" + "".join(f"  {title:>12}{'':11}" for title, _ in columns))
    for kind, (_, _, _, base_kind) in kinds.items():
        line = f"  {kind:<{width}}"
        for _, series in columns:
            value = statistics.median(series[kind])
            overhead = ""
            if base_kind:
                base = statistics.median(series[base_kind])
                overhead = f"{100 * (value - base) / base:+.2f} %"
            line += f"  {value * 1000:9.1f} ms {overhead:>10}"
        print(line)
    print(
        "  overhead: against the same model's fit without a logger (same log_every_n_steps);\n"
        "  CPU includes runcard's writer thread"
    )
    print(
        "\nRuncardLogger's own cost, a fit (medians; steadier than fit times on a shared machine):"
        "\nthe training thread's time in the logger's methods (the run's start, log(), finish) +"
        "\nthe CPU time of runcard's writer thread (beside training where a core is free; while"
        "\nit holds the GIL, training waits)"
    )
    for kind, (_, _, _, base_kind) in kinds.items():
        if "RuncardLogger" not in kind:
            continue
        spent = statistics.median(in_logger[kind])
        writer = statistics.median(writer_cpus[kind])
        base = statistics.median(walls[base_kind])
        print(
            f"  {kind:<{width}}  {spent * 1000:5.1f} ms + {writer * 1000:5.1f} ms = "
            f"{(spent + writer) * 1000:5.1f} ms, {100 * (spent + writer) / base:.2f} % of the fit"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
