"""One training attempt with fixed batching: its prepared parts, where it stands, and what it does to them.

The parts are the model, optimiser, scheduler and batch loader as accelerate prepared them, the
generator that draws each epoch's batch order, and the loop's bookkeeping (a checkpoint `Position`).
An attempt can continue from a loaded checkpoint, take one training step, and save a checkpoint.
"""

from __future__ import annotations

import math
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
from harness.remedy.adversarial import Adversary
from harness.train.batching import LengthGroupedBatches
from harness.train.checkpoint import Checkpointer, Position, restore_rng_states
from harness.train.kept import kept_tensors, trainable_state

# The method's (get, set) pair for the training state it keeps outside the weights.
MethodState = tuple[Callable[[nn.Module], dict], Callable[[nn.Module, dict], None]]
# A training step's loss from the model and a batch; the default is the model's own loss on the gold labels
# (distillation brings its own: harness.distill).
Objective = Callable[[nn.Module, dict[str, torch.Tensor]], torch.Tensor]


def model_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(**batch).loss


def training_batches(features: Sequence[Features], batch_size: int, generator: torch.Generator, pad_id: int,
                     kind: str, group_by_length: bool = True) -> DataLoader:
    """Random batches drawn from `generator`, grouped by length unless asked not to. Features that are
    redrawn each epoch (augmentation) are grouped by their clean `lengths()`."""
    collate_fn = partial(collate, pad_id=pad_id, kind=kind)
    dataset = features if hasattr(features, "draw_epoch") else list(features)
    if group_by_length:
        lengths = features.lengths() if hasattr(features, "lengths") else [len(f) for f in features]
        sampler = LengthGroupedBatches(lengths, batch_size, generator)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_fn)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator, collate_fn=collate_fn)


def _optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW; biases and normalisation weights are not decayed."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (no_decay if parameter.ndim < 2 else decay).append(parameter)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr)


@dataclass
class Attempt:
    """The state of one attempt; `prepare` builds it, `at` is where it stands."""

    model: nn.Module  # as prepared: wrapped for the distribution in use
    optimizer: Any
    scheduler: Any
    loader: DataLoader
    generator: torch.Generator  # draws each epoch's batch order
    accelerator: Accelerator
    config: dict[str, Any]
    checkpointer: Checkpointer | None
    method_state: MethodState
    objective: Objective = model_loss
    features: Sequence[Features] = ()  # what the loader draws from; augmented ones are redrawn each epoch
    adversary: Adversary | None = None  # adversarial training: its step replaces the plain forward and backward
    at: Position = field(default_factory=Position)
    pending_rng: dict[str, Any] | None = None  # a checkpoint's global RNG states, not yet put back

    @classmethod
    def prepare(cls, model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int,
                config: dict[str, Any], seed: int, accelerator: Accelerator, checkpointer: Checkpointer | None,
                method_state: MethodState, objective: Objective = model_loss,
                adversary: Adversary | None = None, untrained: dict[str, torch.Tensor] | None = None) -> Attempt:
        generator = torch.Generator().manual_seed(seed)
        loader = training_batches(features, config["batch_size"], generator, pad_id, kind,
                                  group_by_length=config.get("group_by_length", True))
        optimizer = _optimizer(model, config["lr"], config["weight_decay"])
        updates_per_epoch = math.ceil(len(loader) / config["grad_accum"])
        total_updates = updates_per_epoch * config["epochs"]
        scheduler = get_linear_schedule_with_warmup(optimizer, int(config["warmup_ratio"] * total_updates),
                                                    total_updates)
        model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
        attempt = cls(model, optimizer, scheduler, loader, generator, accelerator, config, checkpointer, method_state,
                      objective, features, adversary)
        # the untrained tensors are the best state until an epoch beats them; a copy the caller already made is
        # shared, not made again (a whole model's worth of memory under full fine-tuning)
        attempt.at = Position(best_state=untrained if untrained is not None else trainable_state(attempt.unwrapped))
        return attempt

    @property
    def unwrapped(self) -> nn.Module:
        return self.accelerator.unwrap_model(self.model)

    def restore(self, saved: dict[str, Any]) -> int:
        """Continue from a loaded checkpoint: its position, weights, optimiser, scheduler, method state and
        batch-order generator. The global RNG states wait for `resume_rng`; returns the update resumed from."""
        self.at = saved["position"]
        # the weights are copied into the model: the checkpoint's own copy goes (a whole model's worth of memory),
        # and its best state is kept as the loop keeps it (on CPU: in a mapped file)
        self.unwrapped.load_state_dict(saved.pop("model"), strict=False)
        self.at.best_state = kept_tensors(self.at.best_state, self.accelerator)
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.method_state[1](self.unwrapped, saved["method"])
        self.generator.set_state(saved["epoch_generator_state"])
        self.pending_rng = saved["rng"]
        return self.at.updates

    def resume_rng(self) -> None:
        """Put back the checkpoint's global RNG states, once, where the interrupted run was about to draw."""
        if self.pending_rng is not None:
            restore_rng_states(self.pending_rng)
            self.pending_rng = None

    def begin_epoch(self, epoch: int) -> None:
        """Before an epoch's batches are drawn: augmented features draw that epoch's perturbed examples."""
        if hasattr(self.features, "draw_epoch"):
            self.features.draw_epoch(epoch)

    def step(self, batch: dict[str, torch.Tensor],
             after_update: Callable[[nn.Module, int], None] | None) -> tuple[torch.Tensor, bool]:
        """Forward and backward on one batch, and an optimiser update when the accumulation is complete;
        returns the loss and whether it updated."""
        accelerator, model = self.accelerator, self.model
        with accelerator.accumulate(model):
            if self.adversary is None:
                loss = self.objective(model, batch)
                accelerator.backward(loss)
            else:
                loss = self.adversary.step(lambda: self.objective(model, batch), batch, accelerator.backward,
                                           lambda: accelerator.no_sync(model))
            if accelerator.sync_gradients and self.config["max_grad_norm"]:
                accelerator.clip_grad_norm_(model.parameters(), self.config["max_grad_norm"])
            self.optimizer.step()
            self.scheduler.step()
            synced = accelerator.sync_gradients
            if synced:
                self.at.updates += 1
                if after_update is not None:  # before zero_grad: AdaLoRA's rank allocation reads the gradients
                    after_update(self.unwrapped, self.at.updates)
            self.optimizer.zero_grad()
        return loss, synced

    def checkpoint(self, epoch_generator_state: torch.Tensor) -> None:
        """Save the whole training state as `at` stands; the batch order resumes from `epoch_generator_state`."""
        batching = {"batch_size": self.config["batch_size"], "grad_accum": self.config["grad_accum"]}
        self.checkpointer.save(self.at, batching, epoch_generator_state, trainable_state(self.unwrapped),
                               self.optimizer, self.scheduler, self.method_state[0](self.unwrapped))
