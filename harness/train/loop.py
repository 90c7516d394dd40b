"""The one training loop: accelerate, evaluation each epoch, early stopping, best weights kept."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch
from accelerate import Accelerator
from torch import nn
from torch.utils.data import DataLoader
from transformers import get_linear_schedule_with_warmup

from harness.encode import Features, collate
from harness.errors import HarnessError, RunFailed
from harness.train.batching import LengthGroupedBatches
from harness.train.memory import PeakMemory
from harness.train.progress import training_progress


@dataclass
class TrainResult:
    epochs_run: int
    best_epoch: int
    best_score: float
    steps: int
    train_seconds: float  # optimisation steps only, selection evaluations excluded
    examples_per_second: float
    peak_memory_mb: float
    memory_baseline_mb: float
    memory_kind: str
    stopped_early: bool
    history: list[dict[str, Any]] = field(default_factory=list)


def make_accelerator(device: str | None, grad_accum: int) -> Accelerator:
    """CPU unless CUDA is there and not refused; bf16 autocast where the GPU supports it."""
    if device == "cuda" and not torch.cuda.is_available():
        raise HarnessError("--device cuda: no CUDA device is visible to torch here; use --device cpu (or auto)")
    use_cpu = device == "cpu" or not torch.cuda.is_available()
    mixed = "bf16" if not use_cpu and torch.cuda.is_bf16_supported() else "no"
    return Accelerator(cpu=use_cpu, mixed_precision=mixed, gradient_accumulation_steps=grad_accum)


def training_batches(features: Sequence[Features], batch_size: int, seed: int, pad_id: int, kind: str,
                     group_by_length: bool = True) -> DataLoader:
    """Seeded random batches, grouped by length unless asked not to."""
    generator = torch.Generator().manual_seed(seed)
    collate_fn = partial(collate, pad_id=pad_id, kind=kind)
    if group_by_length:
        sampler = LengthGroupedBatches([len(f) for f in features], batch_size, generator)
        return DataLoader(list(features), batch_sampler=sampler, collate_fn=collate_fn)
    return DataLoader(list(features), batch_size=batch_size, shuffle=True, generator=generator, collate_fn=collate_fn)


def planned_updates(n_examples: int, config: dict[str, Any]) -> int:
    """Optimiser updates a full training run makes (early stopping may make fewer)."""
    batches = math.ceil(n_examples / config["batch_size"])
    return math.ceil(batches / config["grad_accum"]) * config["epochs"]


def _optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW; biases and normalisation weights are not decayed."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (no_decay if parameter.ndim < 2 else decay).append(parameter)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr)


def _trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad}


def train(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, config: dict[str, Any],
          seed: int, select: Callable[[nn.Module], float], accelerator: Accelerator,
          after_update: Callable[[nn.Module, int], None] | None = None, show_progress: bool = True) -> TrainResult:
    """Train on `features`; `select(model)` scores the selection split (higher is better) after each epoch.

    `after_update(model, updates_so_far)` runs after each optimiser update, before gradients
    are cleared (AdaLoRA's rank allocation reads them). The weights of the best epoch are
    loaded back into `model` before returning.
    """
    loader = training_batches(features, config["batch_size"], seed, pad_id, kind,
                              group_by_length=config.get("group_by_length", True))
    optimizer = _optimizer(model, config["lr"], config["weight_decay"])
    updates_per_epoch = math.ceil(len(loader) / config["grad_accum"])
    total_updates = updates_per_epoch * config["epochs"]
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config["warmup_ratio"] * total_updates), total_updates)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    history: list[dict[str, Any]] = []
    best = (-math.inf, 0, _trainable_state(accelerator.unwrap_model(model)))
    train_seconds, seen, step, updates, bad_epochs = 0.0, 0, 0, 0, 0
    memory = PeakMemory(accelerator.device)
    with memory, training_progress(show_progress and accelerator.is_main_process) as progress:
        for epoch in range(1, config["epochs"] + 1):
            bar = progress.add_task(f"epoch {epoch}/{config['epochs']}", total=len(loader), loss="-", speed="-")
            model.train()
            epoch_start, epoch_seen, loss_sum = time.perf_counter(), 0, torch.zeros((), device=accelerator.device)
            for batch_index, batch in enumerate(loader):
                with accelerator.accumulate(model):
                    loss = model(**batch).loss
                    accelerator.backward(loss)
                    if accelerator.sync_gradients and config["max_grad_norm"]:
                        accelerator.clip_grad_norm_(model.parameters(), config["max_grad_norm"])
                    optimizer.step()
                    scheduler.step()
                    if accelerator.sync_gradients:
                        updates += 1
                        if after_update is not None:
                            after_update(accelerator.unwrap_model(model), updates)
                    optimizer.zero_grad()
                loss_sum += loss.detach()
                step += 1
                epoch_seen += batch["input_ids"].shape[0]
                if batch_index % 20 == 0 or batch_index == len(loader) - 1:
                    # Reading the loss synchronises the device: only every few steps.
                    mean_loss = float(loss_sum) / (batch_index + 1)
                    if not math.isfinite(mean_loss):
                        raise RunFailed(f"loss became {mean_loss} at epoch {epoch}, step {step} (batch {batch_index}); "
                                        "lower --lr or raise --warmup-ratio")
                    rate = epoch_seen / max(time.perf_counter() - epoch_start, 1e-9)
                    progress.update(bar, completed=batch_index + 1, loss=f"{mean_loss:.4f}", speed=f"{rate:.0f}")
            epoch_seconds = time.perf_counter() - epoch_start
            train_seconds += epoch_seconds
            seen += epoch_seen
            score = select(accelerator.unwrap_model(model))
            history.append({"epoch": epoch, "train_loss": float(loss_sum) / max(len(loader), 1),
                            "selection_score": score, "seconds": round(epoch_seconds, 3)})
            if score > best[0]:
                best, bad_epochs = (score, epoch, _trainable_state(accelerator.unwrap_model(model))), 0
            else:
                bad_epochs += 1
            progress.console.print(f"epoch {epoch}: loss {history[-1]['train_loss']:.4f}, selection {score:.4f}"
                                   f"{' (best)' if best[1] == epoch else ''}")
            if bad_epochs >= config["patience"] and epoch < config["epochs"]:
                break
    unwrapped = accelerator.unwrap_model(model)
    unwrapped.load_state_dict(best[2], strict=False)
    return TrainResult(
        epochs_run=len(history), best_epoch=best[1], best_score=best[0], steps=step,
        train_seconds=train_seconds, examples_per_second=seen / train_seconds if train_seconds else float("nan"),
        peak_memory_mb=memory.peak_mb, memory_baseline_mb=memory.baseline_mb, memory_kind=memory.kind,
        stopped_early=len(history) < config["epochs"], history=history,
    )
