"""Fixed-length inputs for timing, cut from the task's real evaluation examples.

Latency depends on sequence length, so every variant is timed on the same batches: real
examples of the evaluation split at least as long as its median token length, truncated to
exactly that length (no padding, so every token counted in tokens per second is real).
The length and the split's length distribution are recorded with the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

from harness.encode import Features, collate, encode
from harness.errors import HarnessError
from harness.profiling.timing import percentile
from harness.tasks import Example, TaskDef


@dataclass(frozen=True)
class TimingInputs:
    length: int  # tokens per example in every timed batch
    pool: list[Features]  # real examples cut to `length`, cycled to fill the largest batch
    pad_id: int
    kind: str
    lengths: dict[str, float]  # the evaluation split's token lengths: min, median, p90, max
    examples: int  # evaluation examples the lengths come from

    def batch(self, size: int, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        rows = [self.pool[i % len(self.pool)] for i in range(size)]
        tensors = collate(rows, self.pad_id, self.kind)
        tensors.pop("labels", None)
        return {name: tensor.to(device) for name, tensor in tensors.items()}

    def describe(self) -> dict[str, object]:
        return {"length": self.length, "chosen_by": "median token length of the evaluation split",
                "split_token_lengths": self.lengths, "split_examples": self.examples,
                "distinct_examples_in_batches": len(self.pool)}


def timing_inputs(examples: Sequence[Example], features: Sequence[Features], task: TaskDef,
                  tokenizer: PreTrainedTokenizerBase, is_decoder: bool, pool_size: int) -> TimingInputs:
    """`features`: the examples encoded as for evaluation (at the run's max length)."""
    if not features:
        raise HarnessError(f"task {task.name}: the evaluation split is empty, nothing to time")
    lengths = [len(f) for f in features]
    median = int(percentile(lengths, 50))  # rounded down: at least half the examples reach it
    long_enough = [example for example, size in zip(examples, lengths) if size >= median][:pool_size]
    cut = [f for f in encode(long_enough, tokenizer, task.kind, median, is_decoder, task.word_separator)
           if len(f) == median]
    if not cut:  # cannot happen with a consistent tokenizer; kept as a clear failure
        raise HarnessError(f"task {task.name}: no evaluation example could be cut to {median} tokens")
    return TimingInputs(length=median, pool=cut, pad_id=tokenizer.pad_token_id, kind=task.kind,
                        lengths={"min": min(lengths), "median": percentile(lengths, 50),
                                 "p90": percentile(lengths, 90), "max": max(lengths)},
                        examples=len(features))
