"""Zero-shot classification with a sentence encoder: the label whose description is nearest.

Texts and label descriptions are embedded by mean pooling the last hidden states (how
sentence-transformers models such as all-MiniLM-L6-v2 were trained); a choice's score is
the cosine similarity times SCALE, so a softmax over scores gives choice probabilities.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

SCALE = 20.0  # the similarity scale sentence-transformers trains its ranking losses with


def embed(model, tokenizer, texts: Sequence[str], *, batch_size: int = 64, max_length: int = 256) -> torch.Tensor:
    device = next(model.parameters()).device
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    vectors: list[torch.Tensor | None] = [None] * len(texts)
    for begin in range(0, len(order), batch_size):
        rows = order[begin: begin + batch_size]
        batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt").to(device)
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=-1)
        for k, i in enumerate(rows):
            vectors[i] = pooled[k].cpu()
    return torch.stack(vectors)


def similarity_scores(model, tokenizer, texts: Sequence[str], descriptions: Sequence[str], *,
                      max_length: int = 256) -> tuple[list[list[float]], float]:
    """(SCALE x cosine similarity per text and description, seconds)."""
    started = time.perf_counter()
    was_training = model.training
    model.eval()
    try:
        labels = embed(model, tokenizer, descriptions, max_length=max_length)
        scores = embed(model, tokenizer, texts, max_length=max_length) @ labels.T * SCALE
    finally:
        model.train(was_training)
    return scores.tolist(), time.perf_counter() - started
