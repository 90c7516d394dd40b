"""One epoch of an attempt: its batches, then the work that closes it (totals, selection, best weights,
early stopping, checkpoint)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from rich.progress import Progress
from torch import nn

from harness.errors import RunFailed
from harness.train.attempt import Attempt
from harness.train.kept import kept_copy


def train_epoch(attempt: Attempt, epoch: int, progress: Progress,
                after_update: Callable[[nn.Module, int], None] | None) -> tuple[torch.Tensor, float]:
    """Train on the epoch's batches, or on those a checkpoint had not reached; returns the summed loss
    and the epoch's seconds (those before the checkpoint included)."""
    at, loader, device = attempt.at, attempt.loader, attempt.accelerator.device
    skip = at.batches_done if epoch == at.epoch else 0
    if skip:
        loss_sum = torch.as_tensor(at.loss_sum, device=device).clone()
    else:
        at.epoch_seen, at.epoch_seconds = 0, 0.0
        loss_sum = torch.zeros((), device=device)
    epoch_generator_state = attempt.generator.get_state()  # the batch order of this epoch is drawn from here
    bar = progress.add_task(f"epoch {epoch}/{attempt.config['epochs']}", total=len(loader), loss="-", speed="-",
                            completed=skip)
    attempt.model.train()
    epoch_start = time.perf_counter() - at.epoch_seconds
    attempt.begin_epoch(epoch)  # inside the epoch's time: drawing augmented examples is part of its cost
    if not skip:  # before iter(loader), which draws from the global RNG
        attempt.resume_rng()
    for batch_index, batch in enumerate(loader):
        if batch_index < skip:  # already trained on before the checkpoint: same order, skipped
            continue
        attempt.resume_rng()  # mid-epoch: dropout continues from where the checkpoint was
        loss, synced = attempt.step(batch, after_update)
        loss_sum += loss.detach()
        at.step += 1
        if attempt.accelerator.trackers:  # --log-with (harness.track): only the main process holds trackers
            attempt.accelerator.log({"train/loss": float(loss.detach()),
                                     "train/lr": attempt.scheduler.get_last_lr()[0]}, step=at.step)
        at.epoch_seen += batch["input_ids"].shape[0]
        _stop_if_not_finite(loss, loss_sum, epoch, at.step, batch_index, len(loader), device)
        if batch_index % 20 == 0 or batch_index == len(loader) - 1:
            mean_loss = float(loss_sum) / (batch_index + 1)
            rate = at.epoch_seen / max(time.perf_counter() - epoch_start, 1e-9)
            progress.update(bar, completed=batch_index + 1, loss=f"{mean_loss:.4f}", speed=f"{rate:.0f}")
        # Only right after an update (no half-accumulated gradient); the last batch's is end_epoch's.
        if synced and attempt.checkpointer is not None and batch_index < len(loader) - 1 \
                and attempt.checkpointer.due(at.updates):
            at.epoch, at.batches_done, at.loss_sum = epoch, batch_index + 1, loss_sum.cpu()
            at.epoch_seconds = time.perf_counter() - epoch_start
            attempt.checkpoint(epoch_generator_state)
    return loss_sum, time.perf_counter() - epoch_start


def end_epoch(attempt: Attempt, epoch: int, loss_sum: torch.Tensor, seconds: float,
              select: Callable[[nn.Module], float], say: Callable[[str], None]) -> bool:
    """Record the epoch (its loss over every process, its selection score), keep the weights if they are the
    best so far, and decide: True stops early; otherwise a checkpoint is saved when due."""
    at, config = attempt.at, attempt.config
    at.train_seconds += seconds
    epoch_examples, epoch_loss, epoch_batches = _totals_over_processes(attempt, loss_sum)
    at.seen += int(epoch_examples)
    score = select(attempt.unwrapped)
    at.history.append({"epoch": epoch, "train_loss": epoch_loss / max(epoch_batches, 1),
                       "selection_score": score, "seconds": round(seconds, 3)})
    attempt.accelerator.log({"selection/score": score, "train/epoch_loss": at.history[-1]["train_loss"],
                             "epoch": epoch}, step=at.step)  # to the run's trackers, if any (main process)
    if score > at.best_score:
        at.best_score, at.best_epoch, at.bad_epochs = score, epoch, 0
        at.best_state = kept_copy(attempt.unwrapped, attempt.accelerator)
    else:
        at.bad_epochs += 1
    say(f"epoch {epoch}: loss {at.history[-1]['train_loss']:.4f}, "
        f"selection {score:.4f}{' (best)' if at.best_epoch == epoch else ''}")
    if at.bad_epochs >= config["patience"] and epoch < config["epochs"]:
        return True
    if attempt.checkpointer is not None and epoch < config["epochs"] and attempt.checkpointer.due(at.updates):
        at.epoch, at.batches_done, at.loss_sum, at.epoch_seconds = epoch + 1, 0, 0.0, 0.0
        attempt.checkpoint(attempt.generator.get_state())
    return False


def _totals_over_processes(attempt: Attempt, loss_sum: torch.Tensor) -> tuple[float, float, float]:
    """Examples seen, summed loss and batches of the epoch, summed over every process (one process: its own)."""
    accelerator = attempt.accelerator
    totals = accelerator.reduce(torch.stack([torch.tensor(float(attempt.at.epoch_seen)),
                                             loss_sum.detach().cpu().double(),
                                             torch.tensor(float(len(attempt.loader)))]).to(accelerator.device), "sum")
    epoch_examples, epoch_loss, epoch_batches = (float(t) for t in totals)
    return epoch_examples, epoch_loss, epoch_batches


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
