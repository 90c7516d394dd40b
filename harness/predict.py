"""Batched inference: one prediction per example, in the examples' order.

Batches are formed from examples sorted by length, so little compute goes to padding;
predictions are put back in the original order afterwards. Across several processes
(accelerate/torchrun) each takes every n-th of those same batches and the predictions are
gathered, so every example is predicted exactly once, in the batch it would have been in
with one process: the numbers do not depend on the number of processes. Under FSDP every
forward all-gathers the sharded weights, so every process runs the same number of forwards:
a process with fewer batches repeats its last one and drops what it predicts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedType, gather_object
from torch import nn

from harness.encode import Features, collate
from harness.errors import RunFailed
from harness.tasks import kinds


@dataclass
class Predictions:
    values: list  # class index, float score, or a list of tag indices per word
    # classification: per example, one per class; token classification: per example, per word, one per tag
    # (a word past max_length gets its fallback tag's one-hot); regression: None (the value is the output)
    probabilities: list | None
    seconds: float
    words_cut_off: int = 0  # token classification: words past max_length, predicted as the fallback tag

    @property
    def examples_per_second(self) -> float:
        return len(self.values) / self.seconds if self.seconds > 0 else float("nan")

    def summary(self) -> dict[str, Any]:
        """What a run record keeps about the inference of one split."""
        return {"examples": len(self.values), "seconds": round(self.seconds, 3),
                "examples_per_second": round(self.examples_per_second, 2), "words_cut_off": self.words_cut_off}

    def rows(self, task, split: str, examples) -> list[dict[str, Any]]:
        """What the predictions file holds per example: id, prediction, reference (and probabilities, which
        output ensembles combine)."""
        rows = []
        for i, example in enumerate(examples):
            if task.kind == kinds.TOKEN_CLASSIFICATION:
                row = {"prediction": [task.labels[t] for t in self.values[i]],
                       "reference": [task.labels[t] for t in example.tags]}
            else:
                row = {"prediction": self.values[i], "reference": example.label}
            if self.probabilities is not None:
                row["probabilities"] = self.probabilities[i]
            rows.append({"split": split, "id": example.id, **row})
        return rows


def predict(model: nn.Module, features: Sequence[Features], *, kind: str, pad_id: int, batch_size: int,
            device: torch.device | str = "cpu", fallback_tag: int = 0, accelerator: Accelerator | None = None,
            ) -> Predictions:
    """Predictions for every feature; with a multi-process `accelerator`, computed in shares and gathered
    (every process gets all of them)."""
    if accelerator is None or accelerator.num_processes == 1:
        return _predict_share(model, features, kind, pad_id, batch_size, device, fallback_tag, 0, 1)
    sharded = accelerator.distributed_type == DistributedType.FSDP  # every forward needs every process
    share = _predict_share(model, features, kind, pad_id, batch_size, device, fallback_tag,
                           accelerator.process_index, accelerator.num_processes, lockstep=sharded)
    shares = gather_object([share])  # one Predictions per process, in process order
    merged = Predictions(values=[None] * len(features),
                         probabilities=None if share.probabilities is None else [None] * len(features),
                         seconds=max(s.seconds for s in shares), words_cut_off=sum(s.words_cut_off for s in shares))
    for part in shares:
        for i, value in enumerate(part.values):
            if value is not None:
                merged.values[i] = value
                if merged.probabilities is not None:
                    merged.probabilities[i] = part.probabilities[i]
    return merged


def _predict_share(model: nn.Module, features: Sequence[Features], kind: str, pad_id: int, batch_size: int,
                   device: torch.device | str, fallback_tag: int, share: int, shares: int,
                   lockstep: bool = False) -> Predictions:
    """Predictions for batches share, share + shares, ... of the length-sorted batches (None elsewhere).

    With `lockstep` (sharded weights), as many forwards as the process with the most batches,
    the extra ones repeating a batch whose outputs are dropped.
    """
    was_training = model.training
    model.eval()
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    values: list = [None] * len(features)
    probabilities: list | None = None if kind == kinds.REGRESSION else [None] * len(features)
    cut_off = 0
    batches = math.ceil(len(order) / batch_size)
    begins = list(range(share * batch_size, len(order), batch_size * shares))
    if lockstep and order:
        begins += [begins[-1] if begins else 0] * (math.ceil(batches / shares) - len(begins))
    start = time.perf_counter()
    with torch.inference_mode():
        for round_index, begin in enumerate(begins):
            rows = order[begin: begin + batch_size]
            batch = collate([features[i] for i in rows], pad_id, kind)
            batch.pop("labels", None)
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu()
            _check_finite(logits)
            if round_index * shares + share >= batches:
                continue  # a repeated batch: only there so every process runs the same forwards
            cut_off += _store(logits, rows, features, kind, fallback_tag, values, probabilities)
    seconds = time.perf_counter() - start
    model.train(was_training)
    return Predictions(values=values, probabilities=probabilities, seconds=seconds, words_cut_off=cut_off)


def _check_finite(logits: torch.Tensor) -> None:
    """A model whose outputs are NaN or infinite has no prediction: its run fails instead of recording one
    (argmax over NaN picks the first class, which would score as if it had predicted)."""
    if not bool(torch.isfinite(logits).all()):
        bad = int((~torch.isfinite(logits)).flatten(1).any(dim=1).sum())
        raise RunFailed(f"the model's outputs are not finite (NaN or infinite) for {bad} of {len(logits)} examples "
                        "of a batch: its weights diverged or overflowed; lower --lr (or, for a --variant, use "
                        "another precision)")


def _store(logits: torch.Tensor, rows: list[int], features: Sequence[Features], kind: str, fallback_tag: int,
           values: list, probabilities: list | None) -> int:
    """Put one batch's predictions in place; returns the words cut off by max_length."""
    cut_off = 0
    for j, i in enumerate(rows):
        if kind == kinds.REGRESSION:
            values[i] = float(logits[j, 0])
        elif kind == kinds.TOKEN_CLASSIFICATION:
            probs = logits[j].softmax(dim=-1)
            tags = probs.argmax(dim=-1).tolist()
            starts = features[i].word_starts
            cut_off += sum(1 for s in starts if s < 0)
            values[i] = [tags[s] if s >= 0 else fallback_tag for s in starts]
            fallback = [float(t == fallback_tag) for t in range(probs.shape[-1])]
            # 4 decimals: a file of per-word, per-tag numbers stays a few MB for CoNLL's validation split
            probabilities[i] = [[round(p, 4) for p in probs[s].tolist()] if s >= 0 else fallback for s in starts]
        else:
            probs = logits[j].softmax(dim=-1)
            values[i] = int(probs.argmax())
            probabilities[i] = [round(p, 6) for p in probs.tolist()]
    return cut_off


def evaluation_batch_size(training: dict[str, Any]) -> int:
    """Evaluation batches: at least 64 (no gradients to keep), more when training used more."""
    return max(64, training["batch_size"])

