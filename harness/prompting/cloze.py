"""Cloze scoring with a masked language model: how likely is each verbalizer at a mask?

The example's prompt is followed by as many mask tokens as the verbalizer has tokens; a
choice's score is the sum of its tokens' log-probabilities at those masks (PET's
multi-mask scoring). Choices of the same token length share one forward per example.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from harness.errors import HarnessError


def cloze_scores(model, tokenizer, contexts: Sequence[str], choices: Sequence[str], delimiter: str, *,
                 batch_size: int = 32, max_length: int | None = None) -> tuple[list[list[float]], float]:
    """(scores per context and choice, seconds)."""
    if tokenizer.mask_token_id is None:
        raise HarnessError("this model's tokenizer has no mask token, so it cannot do cloze scoring")
    choice_ids = [tokenizer(choice.strip(), add_special_tokens=False)["input_ids"] for choice in choices]
    limit = max_length or tokenizer.model_max_length
    device = next(model.parameters()).device
    scores = [[0.0] * len(choices) for _ in contexts]
    started = time.perf_counter()
    was_training = model.training
    model.eval()
    try:
        for length in sorted({len(ids) for ids in choice_ids}):
            members = [j for j, ids in enumerate(choice_ids) if len(ids) == length]
            texts = [f"{context}{delimiter}{tokenizer.mask_token * length}" for context in contexts]
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
            for begin in range(0, len(order), batch_size):
                rows = order[begin: begin + batch_size]
                batch = tokenizer([texts[i] for i in rows], padding=True, return_tensors="pt")
                if batch["input_ids"].shape[1] > limit:
                    raise HarnessError(f"a prompt is {batch['input_ids'].shape[1]} tokens, longer than the model's "
                                       f"{limit}; use fewer demonstrations or shorter texts")
                with torch.inference_mode():
                    logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float()
                logprobs = torch.log_softmax(logits, dim=-1)
                for k, i in enumerate(rows):
                    masks = (batch["input_ids"][k] == tokenizer.mask_token_id).nonzero().flatten()[-length:]
                    for j in members:
                        targets = torch.tensor(choice_ids[j], device=device)
                        scores[i][j] = float(logprobs[k, masks.to(device), targets].sum())
    finally:
        model.train(was_training)
    return scores, time.perf_counter() - started
