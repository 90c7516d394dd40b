"""Batched inference: one prediction per example, in the examples' order.

Batches are formed from examples sorted by length, so little compute goes to padding;
predictions are put back in the original order afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from harness.encode import Features, collate
from harness.tasks import kinds


@dataclass
class Predictions:
    values: list  # class index, float score, or a list of tag indices per word
    probabilities: list[list[float]] | None  # classification only
    seconds: float
    words_cut_off: int = 0  # token classification: words past max_length, predicted as the fallback tag

    @property
    def examples_per_second(self) -> float:
        return len(self.values) / self.seconds if self.seconds > 0 else float("nan")


@torch.inference_mode()
def predict(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, batch_size: int,
            device: torch.device | str = "cpu", fallback_tag: int = 0) -> Predictions:
    was_training = model.training
    model.eval()
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    values: list = [None] * len(features)
    probabilities: list | None = [None] * len(features) if kind in kinds.CLASSIFICATION_KINDS else None
    cut_off = 0
    start = time.perf_counter()
    for begin in range(0, len(order), batch_size):
        rows = order[begin: begin + batch_size]
        batch = collate([features[i] for i in rows], pad_id, kind)
        batch.pop("labels", None)
        logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu()
        for j, i in enumerate(rows):
            if kind == kinds.REGRESSION:
                values[i] = float(logits[j, 0])
            elif kind == kinds.TOKEN_CLASSIFICATION:
                tags = logits[j].argmax(dim=-1).tolist()
                starts = features[i].word_starts
                cut_off += sum(1 for s in starts if s < 0)
                values[i] = [tags[s] if s >= 0 else fallback_tag for s in starts]
            else:
                probs = logits[j].softmax(dim=-1)
                values[i] = int(probs.argmax())
                probabilities[i] = [round(p, 6) for p in probs.tolist()]
    seconds = time.perf_counter() - start
    model.train(was_training)
    return Predictions(values=values, probabilities=probabilities, seconds=seconds, words_cut_off=cut_off)
