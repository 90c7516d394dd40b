"""The one training loop: accelerate, evaluation each epoch, early stopping, best weights kept.

`train` runs `_fit`, one attempt with fixed batching (attempt.py), again with a smaller batch
when the accelerator runs out of memory (backoff.py); `_fit` trains and closes each epoch
in turn (epoch.py) and ends with the best epoch's weights loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedType
from torch import nn

from harness.encode import Features
from harness.errors import HarnessError
from harness.remedy.adversarial import Adversary
from harness.train.attempt import (
    Attempt,
    MethodState,
    Objective,
    model_loss,
)
from harness.train.backoff import with_memory_backoff
from harness.train.checkpoint import Checkpointer
from harness.train.epoch import end_epoch, train_epoch
from harness.train.kept import kept_copy
from harness.train.memory import PeakMemory
from harness.train.progress import training_progress
from harness.train.sharding import (
    check_sharded_launch,
    follow_fsdp_launch,
    is_sharded,
    load_whole_on_every_process,
)


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
    resumed_from_update: int | None = None  # the update a checkpoint continued from
    batch_size: int = 0  # the batching training ended with (smaller than asked after a memory back-off)
    grad_accum: int = 0
    notes: list[str] = field(default_factory=list)


def make_accelerator(device: str | None, grad_accum: int, log_with: list | None = None,
                     project_dir: Path | None = None) -> Accelerator:
    """CPU unless CUDA is there and not refused; bf16 autocast where the GPU supports it. `log_with`: the run's
    experiment trackers (harness.track), which `accelerator.log` then writes to from the main process."""
    if device == "cuda" and not torch.cuda.is_available():
        raise HarnessError("--device cuda: no CUDA device is visible to torch here; use --device cpu (or auto)")
    use_cpu = device == "cpu" or not torch.cuda.is_available()
    mixed = "bf16" if not use_cpu and torch.cuda.is_bf16_supported() else "no"
    check_sharded_launch()  # FSDP1 and DeepSpeed fail inside Accelerator() on CPU: refused in one line first
    load_whole_on_every_process()
    accelerator = Accelerator(cpu=use_cpu, mixed_precision=mixed, gradient_accumulation_steps=grad_accum,
                              log_with=log_with, project_dir=project_dir)
    follow_fsdp_launch(accelerator)
    if accelerator.distributed_type not in _SUPPORTED_DISTRIBUTION:
        raise HarnessError(f"accelerate is configured for {accelerator.distributed_type.value}, which the harness "
                           "does not support; use data parallelism (accelerate launch --multi_gpu, or torchrun) or "
                           "FSDP2 (accelerate launch --use_fsdp --fsdp_version 2)")
    return accelerator


_SUPPORTED_DISTRIBUTION = (DistributedType.NO, DistributedType.MULTI_CPU, DistributedType.MULTI_GPU,
                           DistributedType.FSDP)


def planned_updates(n_examples: int, config: dict[str, Any]) -> int:
    """Optimiser updates a full training run makes (early stopping may make fewer)."""
    batches = math.ceil(n_examples / config["batch_size"])
    return math.ceil(batches / config["grad_accum"]) * config["epochs"]


def train(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, config: dict[str, Any],
          seed: int, select: Callable[[nn.Module], float], accelerator: Accelerator,
          after_update: Callable[[nn.Module, int], None] | None = None, show_progress: bool = True,
          checkpointer: Checkpointer | None = None, resume: bool = False,
          method_state: tuple[Callable[[nn.Module], dict], Callable[[nn.Module, dict], None]] | None = None,
          objective: Objective = model_loss, adversary: Adversary | None = None) -> TrainResult:
    """Train on `features`; `select(model)` scores the selection split (higher is better) after each epoch.

    `after_update(model, updates_so_far)` runs after each optimiser update, before gradients
    are cleared (AdaLoRA's rank allocation reads them). The weights of the best epoch are
    loaded back into `model` before returning. With a `checkpointer`, the whole training
    state is saved when it says so; `resume` continues from its file, and the run ends with
    the numbers an uninterrupted run reaches. `method_state` is the method's (get, set) pair
    for state it keeps outside the weights; `objective(model, batch)` is a step's loss (default: the model's
    own); an `adversary` (harness.remedy) replaces each step's plain forward and backward. Out of accelerator memory, training starts over
    with half the batch and twice the accumulation (the same effective batch).
    """
    method_state = method_state or (lambda _: {}, lambda _m, _s: None)
    saved = checkpointer.load() if resume else None
    if saved is not None:  # the batching the checkpointed attempt used, after any memory back-off
        config = {**config, **saved["batching"]}
    # Weights to start over from after running out of memory; FSDP shards the model in place and does not retry.
    initial = None if is_sharded(accelerator) else (kept_copy(model, accelerator), method_state[0](model))

    def start_over() -> None:
        nonlocal saved
        model.load_state_dict(initial[0], strict=False)
        method_state[1](model, initial[1])
        saved = None  # a checkpoint's batch positions belong to the larger batch

    def fit(run_config: dict[str, Any], notes: list[str]) -> TrainResult:
        result = _fit(model, features, kind=kind, pad_id=pad_id, config=run_config, seed=seed, select=select,
                      accelerator=accelerator, after_update=after_update, show_progress=show_progress,
                      checkpointer=checkpointer, saved=saved, method_state=method_state, objective=objective,
                      adversary=adversary, untrained=None if initial is None else initial[0])
        result.batch_size, result.grad_accum, result.notes = run_config["batch_size"], run_config["grad_accum"], notes
        return result

    return with_memory_backoff(fit, config, accelerator, start_over)


def _fit(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, config: dict[str, Any],
         seed: int, select: Callable[[nn.Module], float], accelerator: Accelerator,
         after_update: Callable[[nn.Module, int], None] | None, show_progress: bool,
         checkpointer: Checkpointer | None, saved: dict[str, Any] | None, method_state: MethodState,
         objective: Objective, adversary: Adversary | None,
         untrained: dict[str, torch.Tensor] | None = None) -> TrainResult:
    """One training attempt with fixed batching; continues from `saved` (a loaded checkpoint) when given.
    `untrained`: the trainable tensors before training, already copied (the best state until an epoch beats it)."""
    attempt = Attempt.prepare(model, features, kind=kind, pad_id=pad_id, config=config, seed=seed,
                              accelerator=accelerator, checkpointer=checkpointer, method_state=method_state,
                              objective=objective, adversary=adversary, untrained=untrained)
    resumed_from = attempt.restore(saved) if saved is not None else None
    at = attempt.at
    memory = PeakMemory(accelerator.device)
    talk = show_progress and accelerator.is_main_process  # --quiet means quiet
    with memory, training_progress(talk) as progress:
        say = progress.console.print if talk else lambda _: None
        if resumed_from is not None:
            say(f"resumed from {checkpointer.path.name}: epoch {at.epoch}, update {at.updates}")
        for epoch in range(at.epoch, config["epochs"] + 1):
            loss_sum, seconds = train_epoch(attempt, epoch, progress, after_update)
            if end_epoch(attempt, epoch, loss_sum, seconds, select, say):
                break
    attempt.unwrapped.load_state_dict(at.best_state, strict=False)
    return TrainResult(
        epochs_run=len(at.history), best_epoch=at.best_epoch, best_score=at.best_score, steps=at.step,
        train_seconds=at.train_seconds,
        examples_per_second=at.seen / at.train_seconds if at.train_seconds else float("nan"),
        peak_memory_mb=memory.peak_mb, memory_baseline_mb=memory.baseline_mb, memory_kind=memory.kind,
        stopped_early=len(at.history) < config["epochs"], history=at.history, resumed_from_update=resumed_from,
    )
