"""Where adversarial training perturbs a model: the output of its input embedding module.

A forward hook adds a perturbation `delta` (batch x tokens x width) to what the token
embedding module returns. That reaches every method: full fine-tuning trains the embeddings
themselves, while LoRA, adapters, prompt learning and a frozen backbone leave them frozen
and only see their output move. The hook does nothing unless a perturbation is armed, so
selection and evaluation passes run the plain model.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from harness.errors import HarnessError

# what the hook adds, given the embedding output (so a perturbation can be made to its shape)
MakeDelta = Callable[[torch.Tensor], torch.Tensor]


def check_reachable(method: str) -> None:
    """HarnessError when the method says its input embeddings cannot be perturbed (before anything loads)."""
    from harness.methods import get_method

    reason = get_method(method).no_adversarial_because
    if reason:
        raise HarnessError(f"--adversarial cannot train --method {method}: {reason}; use another method "
                           "(full, lora, ...)")


def input_embeddings(model: nn.Module) -> nn.Module:
    """The model's token embedding module; HarnessError saying why when it has none to reach. A wrapper
    (peft) that does not pass the question on is looked through for the first module that answers it."""
    found = None
    for module in model.modules():
        try:
            found = module.get_input_embeddings()
        except (AttributeError, NotImplementedError, TypeError):
            continue
        if isinstance(found, nn.Module):
            break
    if not isinstance(found, nn.Module):
        raise HarnessError(f"--adversarial: {type(model).__name__} gives no input embedding module "
                           "(get_input_embeddings), so there is nothing to perturb; train it without --adversarial")
    return found


class EmbeddingNoise:
    """Adds an armed perturbation to a model's input embeddings; `delta` is the last one added."""

    def __init__(self, model: nn.Module) -> None:
        self.module = input_embeddings(model)
        self.make: MakeDelta | None = None
        self.delta: torch.Tensor | None = None
        self.handle = self.module.register_forward_hook(self._add)

    def _add(self, module: nn.Module, inputs, output: torch.Tensor) -> torch.Tensor | None:
        if self.make is None:
            return None
        self.delta = self.make(output)
        return output + self.delta.to(output.dtype)

    def arm(self, make: MakeDelta) -> None:
        self.make, self.delta = make, None

    def disarm(self) -> None:
        self.make = None

    def fired(self) -> torch.Tensor:
        """The perturbation the last forward pass added; HarnessError when the embeddings never ran."""
        if self.delta is None:
            raise HarnessError("--adversarial: the model's input embedding module did not run in the forward pass "
                               "(the method feeds its own embeddings), so nothing was perturbed; train this method "
                               "without --adversarial")
        return self.delta

    def remove(self) -> None:
        self.handle.remove()
        self.make = self.delta = None
