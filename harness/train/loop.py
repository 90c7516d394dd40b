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
from accelerate.utils import DistributedType, find_executable_batch_size
from torch import nn
from torch.utils.data import DataLoader
from transformers import get_linear_schedule_with_warmup

from harness.encode import Features, collate
from harness.errors import HarnessError, RunFailed
from harness.train.batching import LengthGroupedBatches
from harness.train.checkpoint import Checkpointer, Position, restore_rng_states
from harness.train.memory import PeakMemory
from harness.train.progress import stderr_console, training_progress
from harness.train.sharding import check_sharded_launch, follow_fsdp_launch, is_sharded, load_whole_on_every_process


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


def make_accelerator(device: str | None, grad_accum: int) -> Accelerator:
    """CPU unless CUDA is there and not refused; bf16 autocast where the GPU supports it."""
    if device == "cuda" and not torch.cuda.is_available():
        raise HarnessError("--device cuda: no CUDA device is visible to torch here; use --device cpu (or auto)")
    use_cpu = device == "cpu" or not torch.cuda.is_available()
    mixed = "bf16" if not use_cpu and torch.cuda.is_bf16_supported() else "no"
    check_sharded_launch()  # FSDP1 and DeepSpeed fail inside Accelerator() on CPU: refused in one line first
    load_whole_on_every_process()
    accelerator = Accelerator(cpu=use_cpu, mixed_precision=mixed, gradient_accumulation_steps=grad_accum)
    follow_fsdp_launch(accelerator)
    if accelerator.distributed_type not in _SUPPORTED_DISTRIBUTION:
        raise HarnessError(f"accelerate is configured for {accelerator.distributed_type.value}, which the harness "
                           "does not support; use data parallelism (accelerate launch --multi_gpu, or torchrun) or "
                           "FSDP2 (accelerate launch --use_fsdp --fsdp_version 2)")
    return accelerator


_SUPPORTED_DISTRIBUTION = (DistributedType.NO, DistributedType.MULTI_CPU, DistributedType.MULTI_GPU,
                           DistributedType.FSDP)


def training_batches(features: Sequence[Features], batch_size: int, generator: torch.Generator, pad_id: int,
                     kind: str, group_by_length: bool = True) -> DataLoader:
    """Random batches drawn from `generator`, grouped by length unless asked not to."""
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
    """Copies of the trainable tensors, from state_dict(): under FSDP2 that holds each process's shards
    (DTensors), which named_parameters() does not while a forward keeps weights gathered."""
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    return {n: t.detach().to("cpu", copy=True) for n, t in model.state_dict().items() if n in trainable}


def train(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, config: dict[str, Any],
          seed: int, select: Callable[[nn.Module], float], accelerator: Accelerator,
          after_update: Callable[[nn.Module, int], None] | None = None, show_progress: bool = True,
          checkpointer: Checkpointer | None = None, resume: bool = False,
          method_state: tuple[Callable[[nn.Module], dict], Callable[[nn.Module, dict], None]] | None = None,
          ) -> TrainResult:
    """Train on `features`; `select(model)` scores the selection split (higher is better) after each epoch.

    `after_update(model, updates_so_far)` runs after each optimiser update, before gradients
    are cleared (AdaLoRA's rank allocation reads them). The weights of the best epoch are
    loaded back into `model` before returning. With a `checkpointer`, the whole training
    state is saved when it says so; `resume` continues from its file, and the run ends with
    the numbers an uninterrupted run reaches. `method_state` is the method's (get, set) pair
    for state it keeps outside the weights. Out of accelerator memory, training starts over
    with half the batch and twice the accumulation (the same effective batch).
    """
    method_state = method_state or (lambda _: {}, lambda _m, _s: None)
    saved = checkpointer.load() if resume else None
    if saved is not None:  # the batching the checkpointed attempt used, after any memory back-off
        config = {**config, **saved["batching"]}
    asked = config
    # Weights to start over from after running out of memory; FSDP shards the model in place and does not retry.
    initial = None if is_sharded(accelerator) else (_trainable_state(model), method_state[0](model))
    notes: list[str] = []
    attempt_size = asked["batch_size"]

    def halve() -> int:
        nonlocal attempt_size
        if is_sharded(accelerator):  # the model is sharded in place: no untrained weights to start over from
            raise RunFailed(f"out of memory at batch size {attempt_size} under FSDP; rerun with a smaller "
                            "--batch-size and a larger --grad-accum (the same effective batch)")
        attempt_size //= 2
        return attempt_size

    @find_executable_batch_size(starting_batch_size=attempt_size, reduce_batch_size_fn=halve)
    def attempt(batch_size: int) -> TrainResult:
        nonlocal saved
        run_config = {**asked, "batch_size": batch_size,
                      "grad_accum": math.ceil(asked["batch_size"] * asked["grad_accum"] / batch_size)}
        if batch_size != asked["batch_size"]:  # a retry: start over from the untrained weights
            notes.append(f"out of memory at batch size {batch_size * 2}: started over with batch size {batch_size} "
                         f"and {run_config['grad_accum']}x gradient accumulation (effective batch "
                         f"{batch_size * run_config['grad_accum']}, asked {asked['batch_size'] * asked['grad_accum']})")
            stderr_console.print(f"[yellow]{notes[-1]}[/]")
            accelerator.free_memory()
            model.load_state_dict(initial[0], strict=False)
            method_state[1](model, initial[1])
            saved = None  # a checkpoint's batch positions belong to the larger batch
        accelerator.gradient_accumulation_steps = run_config["grad_accum"]
        result = _fit(model, features, kind=kind, pad_id=pad_id, config=run_config, seed=seed, select=select,
                      accelerator=accelerator, after_update=after_update, show_progress=show_progress,
                      checkpointer=checkpointer, saved=saved, method_state=method_state)
        result.batch_size, result.grad_accum, result.notes = batch_size, run_config["grad_accum"], notes
        return result

    try:
        return attempt()
    except RuntimeError as exc:
        if "No executable batch size" not in str(exc):
            raise
        raise RunFailed("out of memory even at batch size 1; lower --max-length, train fewer parameters "
                        "(lora, a variant) or use a device with more memory") from None


def _fit(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, config: dict[str, Any],
         seed: int, select: Callable[[nn.Module], float], accelerator: Accelerator,
         after_update: Callable[[nn.Module, int], None] | None, show_progress: bool,
         checkpointer: Checkpointer | None, saved: dict[str, Any] | None,
         method_state: tuple[Callable[[nn.Module], dict], Callable[[nn.Module, dict], None]]) -> TrainResult:
    """One training attempt with fixed batching; continues from `saved` (a loaded checkpoint) when given."""
    generator = torch.Generator().manual_seed(seed)
    loader = training_batches(features, config["batch_size"], generator, pad_id, kind,
                              group_by_length=config.get("group_by_length", True))
    optimizer = _optimizer(model, config["lr"], config["weight_decay"])
    updates_per_epoch = math.ceil(len(loader) / config["grad_accum"])
    total_updates = updates_per_epoch * config["epochs"]
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config["warmup_ratio"] * total_updates), total_updates)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    get_method_state, set_method_state = method_state
    batching = {"batch_size": config["batch_size"], "grad_accum": config["grad_accum"]}

    at = Position(best_state=_trainable_state(accelerator.unwrap_model(model)))
    resumed_from, pending_rng = None, None
    if saved is not None:
        at = saved["position"]
        accelerator.unwrap_model(model).load_state_dict(saved["model"], strict=False)
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        set_method_state(accelerator.unwrap_model(model), saved["method"])
        generator.set_state(saved["epoch_generator_state"])
        pending_rng, resumed_from = saved["rng"], at.updates
    loss_sum = torch.as_tensor(at.loss_sum, device=accelerator.device).clone()
    memory = PeakMemory(accelerator.device)
    with memory, training_progress(show_progress and accelerator.is_main_process) as progress:
        if resumed_from is not None and show_progress and accelerator.is_main_process:
            progress.console.print(f"resumed from {checkpointer.path.name}: epoch {at.epoch}, update {at.updates}")
        for epoch in range(at.epoch, config["epochs"] + 1):
            skip = at.batches_done if epoch == at.epoch else 0
            if not skip:
                at.epoch_seen, at.epoch_seconds = 0, 0.0
                loss_sum = torch.zeros((), device=accelerator.device)
            epoch_generator_state = generator.get_state()  # the batch order of this epoch is drawn from here
            bar = progress.add_task(f"epoch {epoch}/{config['epochs']}", total=len(loader), loss="-", speed="-",
                                    completed=skip)
            model.train()
            epoch_start = time.perf_counter() - at.epoch_seconds
            if pending_rng is not None and not skip:  # before iter(loader), which draws from the global RNG
                restore_rng_states(pending_rng)
                pending_rng = None
            for batch_index, batch in enumerate(loader):
                if batch_index < skip:  # already trained on before the checkpoint: same order, skipped
                    continue
                if pending_rng is not None:  # mid-epoch: dropout continues from where the checkpoint was
                    restore_rng_states(pending_rng)
                    pending_rng = None
                with accelerator.accumulate(model):
                    loss = model(**batch).loss
                    accelerator.backward(loss)
                    if accelerator.sync_gradients and config["max_grad_norm"]:
                        accelerator.clip_grad_norm_(model.parameters(), config["max_grad_norm"])
                    optimizer.step()
                    scheduler.step()
                    synced = accelerator.sync_gradients
                    if synced:
                        at.updates += 1
                        if after_update is not None:
                            after_update(accelerator.unwrap_model(model), at.updates)
                    optimizer.zero_grad()
                loss_sum += loss.detach()
                at.step += 1
                at.epoch_seen += batch["input_ids"].shape[0]
                _stop_if_not_finite(loss, loss_sum, epoch, at.step, batch_index, len(loader), accelerator.device)
                if batch_index % 20 == 0 or batch_index == len(loader) - 1:
                    mean_loss = float(loss_sum) / (batch_index + 1)
                    rate = at.epoch_seen / max(time.perf_counter() - epoch_start, 1e-9)
                    progress.update(bar, completed=batch_index + 1, loss=f"{mean_loss:.4f}", speed=f"{rate:.0f}")
                if synced and checkpointer is not None and batch_index < len(loader) - 1 \
                        and checkpointer.due(at.updates):
                    at.epoch, at.batches_done, at.loss_sum = epoch, batch_index + 1, loss_sum.cpu()
                    at.epoch_seconds = time.perf_counter() - epoch_start
                    checkpointer.save(at, batching, epoch_generator_state, _trainable_state(accelerator.unwrap_model(model)),
                                      optimizer, scheduler, get_method_state(accelerator.unwrap_model(model)))
            epoch_seconds = time.perf_counter() - epoch_start
            at.train_seconds += epoch_seconds
            # Over every process: examples seen, summed loss and batches (one process: its own numbers).
            totals = accelerator.reduce(torch.stack([torch.tensor(float(at.epoch_seen)), loss_sum.detach().cpu().double(),
                                                     torch.tensor(float(len(loader)))]).to(accelerator.device), "sum")
            epoch_examples, epoch_loss, epoch_batches = (float(t) for t in totals)
            at.seen += int(epoch_examples)
            score = select(accelerator.unwrap_model(model))
            at.history.append({"epoch": epoch, "train_loss": epoch_loss / max(epoch_batches, 1),
                               "selection_score": score, "seconds": round(epoch_seconds, 3)})
            if score > at.best_score:
                at.best_score, at.best_epoch, at.bad_epochs = score, epoch, 0
                at.best_state = _trainable_state(accelerator.unwrap_model(model))
            else:
                at.bad_epochs += 1
            if show_progress and accelerator.is_main_process:  # --quiet means quiet
                progress.console.print(f"epoch {epoch}: loss {at.history[-1]['train_loss']:.4f}, "
                                       f"selection {score:.4f}{' (best)' if at.best_epoch == epoch else ''}")
            if at.bad_epochs >= config["patience"] and epoch < config["epochs"]:
                break
            if checkpointer is not None and epoch < config["epochs"] and checkpointer.due(at.updates):
                at.epoch, at.batches_done, at.loss_sum, at.epoch_seconds = epoch + 1, 0, 0.0, 0.0
                checkpointer.save(at, batching, generator.get_state(), _trainable_state(accelerator.unwrap_model(model)),
                                  optimizer, scheduler, get_method_state(accelerator.unwrap_model(model)))
    unwrapped = accelerator.unwrap_model(model)
    unwrapped.load_state_dict(at.best_state, strict=False)
    return TrainResult(
        epochs_run=len(at.history), best_epoch=at.best_epoch, best_score=at.best_score, steps=at.step,
        train_seconds=at.train_seconds,
        examples_per_second=at.seen / at.train_seconds if at.train_seconds else float("nan"),
        peak_memory_mb=memory.peak_mb, memory_baseline_mb=memory.baseline_mb, memory_kind=memory.kind,
        stopped_early=len(at.history) < config["epochs"], history=at.history, resumed_from_update=resumed_from,
    )


def _stop_if_not_finite(loss: torch.Tensor, loss_sum: torch.Tensor, epoch: int, step: int, batch_index: int,
                        batches: int, device: torch.device) -> None:
    """A NaN or infinite loss ends the run naming where it happened.

    On CPU every step is checked (reading a CPU tensor is free); on an accelerator reading it
    waits for the device, so only every 20th batch, and the message gives the range.
    """
    exact = device.type == "cpu"
    if not exact and batch_index % 20 and batch_index != batches - 1:
        return
    value = float(loss.detach()) if exact else float(loss_sum)
    if math.isfinite(value):
        return
    where = (f"step {step} (epoch {epoch}, batch {batch_index})" if exact
             else f"epoch {epoch}, at or before step {step} (batch {batch_index})")
    raise RunFailed(f"training loss became {value} at {where}; lower --lr, raise --warmup-ratio or check the "
                    "inputs of that batch")
