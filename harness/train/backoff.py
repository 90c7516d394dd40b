"""Out of accelerator memory, training starts over with half the batch and twice the accumulation."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from accelerate import Accelerator
from accelerate.utils import find_executable_batch_size

from harness.errors import RunFailed
from harness.train.progress import stderr_console
from harness.train.sharding import is_sharded

Result = TypeVar("Result")


def with_memory_backoff(fit: Callable[[dict[str, Any], list[str]], Result], asked: dict[str, Any],
                        accelerator: Accelerator, start_over: Callable[[], None]) -> Result:
    """`fit(config, notes)` with the asked batching; out of memory, again with half the batch and twice the
    accumulation (the same effective batch) once `start_over()` has put the untrained weights back.
    `notes` says what was backed off, for the run's record."""
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
    def fit_batch_size(batch_size: int) -> Result:
        config = {**asked, "batch_size": batch_size,
                  "grad_accum": math.ceil(asked["batch_size"] * asked["grad_accum"] / batch_size)}
        if batch_size != asked["batch_size"]:  # a retry: start over from the untrained weights
            notes.append(f"out of memory at batch size {batch_size * 2}: started over with batch size {batch_size} "
                         f"and {config['grad_accum']}x gradient accumulation (effective batch "
                         f"{batch_size * config['grad_accum']}, asked {asked['batch_size'] * asked['grad_accum']})")
            stderr_console.print(f"[yellow]{notes[-1]}[/]")
            accelerator.free_memory()
            start_over()
        accelerator.gradient_accumulation_steps = config["grad_accum"]
        return fit(config, notes)

    try:
        return fit_batch_size()
    except RuntimeError as exc:
        if "No executable batch size" not in str(exc):
            raise
        raise RunFailed("out of memory even at batch size 1; lower --max-length, train fewer parameters "
                        "(lora, a variant) or use a device with more memory") from None
