"""Task heads over any transformers backbone, encoder or decoder alike.

transformers has no token-classification head for some decoders (Gemma 3) and its BERT
sequence head reads the pooler, which sentence encoders such as all-MiniLM never
trained. One head family over `AutoModel` gives every model every task kind, with the
pooling that suits it: mean over tokens for bidirectional encoders, the last real token
for causal decoders (the only position that has seen the whole input).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from harness.tasks import kinds

POOLINGS = ("mean", "cls", "last")


@dataclass
class TaskOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """One vector per sequence from (batch, length, hidden) states."""
    if pooling == "cls":
        return hidden[:, 0]
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    if pooling == "mean":
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
    # "last": position of the last attended token, whichever side the padding is on.
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    last = (positions * attention_mask).argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


class TaskModel(nn.Module):
    """backbone -> (pooling) -> dropout -> linear head, with the loss the task kind needs.

    The head is called `head` so methods can name it (peft's `modules_to_save`).
    """

    def __init__(self, backbone: nn.Module, kind: str, num_labels: int, pooling: str, dropout: float = 0.1):
        super().__init__()
        self.backbone = backbone
        self.kind = kind
        self.pooling = pooling
        self.num_outputs = 1 if kind == kinds.REGRESSION else num_labels
        hidden_size = backbone.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, self.num_outputs)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)
        # Regression targets are learnt standardised: Adam moves a bias by about lr per step,
        # so a head starting at 0 would need thousands of steps to reach STS-B's mean of 2.7.
        self.register_buffer("target_shift", torch.zeros(()))
        self.register_buffer("target_scale", torch.ones(()))
        # Set by prompt methods (prompt tuning, P-tuning) that prepend virtual tokens to the input:
        # their hidden states are dropped before pooling, and peft cannot shift token type ids.
        self.virtual_tokens = 0
        self.use_token_types = True

    def get_input_embeddings(self) -> nn.Module:
        """The backbone's token embeddings (adversarial training perturbs their output)."""
        return self.backbone.get_input_embeddings()

    def set_target_scale(self, targets: list[float]) -> None:
        """Standardise regression targets by the training labels' mean and spread."""
        values = torch.tensor(targets, dtype=torch.float32)
        self.target_shift.fill_(float(values.mean()))
        self.target_scale.fill_(float(values.std()) if len(values) > 1 and float(values.std()) > 0 else 1.0)

    @property
    def config(self):
        return self.backbone.config

    def forward(self, input_ids, attention_mask, token_type_ids=None, labels=None, **_) -> TaskOutput:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None and self.use_token_types:
            inputs["token_type_ids"] = token_type_ids
        hidden = self.backbone(**inputs).last_hidden_state[:, self.virtual_tokens:]
        if self.kind != kinds.TOKEN_CLASSIFICATION:
            hidden = pool(hidden, attention_mask, self.pooling)
        logits = self.head(self.dropout(hidden)).float()
        loss = None if labels is None else self.loss(logits, labels)
        if self.kind == kinds.REGRESSION:
            logits = logits * self.target_scale + self.target_shift  # back on the task's scale
        return TaskOutput(loss=loss, logits=logits)

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.kind == kinds.REGRESSION:
            standardised = (labels.float() - self.target_shift) / self.target_scale
            return nn.functional.mse_loss(logits.squeeze(-1), standardised)
        # Token classification marks non-first sub-tokens and special tokens with -100.
        return nn.functional.cross_entropy(logits.reshape(-1, self.num_outputs), labels.reshape(-1), ignore_index=-100)
