"""Training checkpoints: everything needed to continue a run to the numbers it would have reached.

A checkpoint is one file, `<results>/<task>/<run_id>.checkpoint.pt`, written atomically
(`atomic_replace`): a kill at any moment leaves the previous checkpoint or
the new one, never half of one. It holds the trainable weights, the optimiser and
scheduler states, the method's own training state (AdaLoRA's importance scores), every
random generator, the state of the batch-order generator at the start of the current
epoch and how many batches of that epoch were already used, and the loop's bookkeeping
(best epoch so far and its weights, history, running loss). Checkpoints are taken only
right after an optimiser update, so no half-accumulated gradient is ever lost.

The run id is a hash of the whole spec, so a checkpoint can only be resumed by the very
run that wrote it, and the checkpoint keeps the fingerprints of the data files that run read,
so it is not resumed on edited data; it is deleted once the run's record is written.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from harness.errors import HarnessError
from harness.record.store import atomic_replace

FORMAT = 1
DEFAULT_CHECKPOINT_MINUTES = 10.0  # a long run loses at most this much training to a crash


@dataclass
class Position:
    """Where training stands: the loop's counters and what it has kept so far."""

    epoch: int = 1  # the epoch in progress (1-based)
    batches_done: int = 0  # batches of that epoch already trained on
    step: int = 0
    updates: int = 0
    bad_epochs: int = 0
    seen: int = 0  # training examples of finished epochs
    epoch_seen: int = 0
    train_seconds: float = 0.0  # of finished epochs
    epoch_seconds: float = 0.0  # of the epoch in progress, before the checkpoint
    loss_sum: float | torch.Tensor = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    best_score: float = float("-inf")
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class Checkpointer:
    """When to checkpoint (every N updates and/or every M seconds of training) and where."""

    path: Path
    every_updates: int = 0  # 0: not by count
    every_seconds: float = 0.0  # 0: not by time
    data: dict[str, str] = field(default_factory=dict)  # split -> fingerprint of the data file the run reads
    _last_saved: float = field(default_factory=time.monotonic)

    def due(self, updates: int) -> bool:
        by_count = self.every_updates > 0 and updates % self.every_updates == 0
        by_time = self.every_seconds > 0 and time.monotonic() - self._last_saved >= self.every_seconds
        return by_count or by_time

    def save(self, position: Position, batching: dict[str, int], epoch_generator_state: torch.Tensor,
             model_state: dict[str, torch.Tensor], optimizer: Any, scheduler: Any,
             method_state: dict[str, Any]) -> None:
        payload = {
            "format": FORMAT,
            "position": position,
            "batching": batching,  # batch size and accumulation in use: a memory back-off may have changed them
            "epoch_generator_state": epoch_generator_state,
            "model": model_state,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "method": method_state,
            "rng": _rng_states(),
            "data": self.data,
        }
        atomic_replace(self.path, lambda handle: torch.save(payload, handle))
        self._last_saved = time.monotonic()

    def load(self) -> dict[str, Any]:
        try:
            # Our own file, holding dataclasses and numpy RNG state: not loadable with weights_only.
            payload = torch.load(self.path, map_location="cpu", weights_only=False)
        except Exception as exc:  # a torn or foreign file: say which and how to get past it
            raise HarnessError(f"checkpoint {self.path} cannot be read ({type(exc).__name__}); delete it to "
                               "start the run over") from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise HarnessError(f"checkpoint {self.path} was written by another version of the harness; delete it "
                               "to start the run over")
        taken_on = payload.get("data") or {}
        changed = [split for split in taken_on if split in self.data and self.data[split] != taken_on[split]]
        if changed:
            raise HarnessError(f"checkpoint {self.path} was taken on other data (the {changed[0]} file changed "
                               "since); delete it to start the run over, or restore the data it was taken on")
        return payload

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _rng_states() -> dict[str, Any]:
    states = {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
