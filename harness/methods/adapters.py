"""Bottleneck adapters: Houlsby (after attention and feed-forward) and Pfeiffer (feed-forward only).

Written here because AdapterHub's `adapters` package pins transformers 4. An adapter
wraps the linear layer that ends a sub-layer (just before its residual add) and adds
up(act(down(h))) to its output h. `up` starts at zero, so training starts from exactly
the pretrained model. Houlsby et al. (2019) also train the layer norms; Pfeiffer et al.
(2021) found one adapter per layer, after the feed-forward block, about as good.
"""

from __future__ import annotations

import torch
from torch import nn

from harness.errors import HarnessError
from harness.methods.base import METHODS, Method, Option
from harness.methods.layer_roles import layers_by_role
from harness.ranges import Range

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "swish": nn.SiLU}


class Bottleneck(nn.Module):
    """A linear layer followed by a residual bottleneck: h + up(act(down(h)))."""

    def __init__(self, sublayer: nn.Linear, size: int, activation: str):
        super().__init__()
        self.sublayer = sublayer
        width = sublayer.out_features
        self.down = nn.Linear(width, size)
        self.act = ACTIVATIONS[activation]()
        self.up = nn.Linear(size, width)
        nn.init.normal_(self.down.weight, std=0.02)
        nn.init.zeros_(self.down.bias)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)
        self.to(device=sublayer.weight.device, dtype=sublayer.weight.dtype)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = self.sublayer(hidden)
        return hidden + self.up(self.act(self.down(hidden)))


def is_norm(module: nn.Module) -> bool:
    return isinstance(module, nn.LayerNorm) or "Norm" in type(module).__name__


class BottleneckAdapters(Method):
    roles: tuple[str, ...] = ()

    def check(self, model, kind, options):
        super().check(model, kind, options)
        if options["reduction"] < 1 or options["reduction"] > model.config.hidden_size:
            raise HarnessError(f"--{self.name}-reduction must be between 1 and the hidden size "
                               f"({model.config.hidden_size}), got {options['reduction']}")
        if options["activation"] not in ACTIVATIONS:
            raise HarnessError(f"--{self.name}-activation {options['activation']} is not one of "
                               f"{', '.join(ACTIVATIONS)}")
        for role in self.roles:
            layers_by_role(model, role, self.name)

    def prepare(self, model, options, total_updates):
        model.requires_grad_(False)
        for role in self.roles:
            for name in layers_by_role(model, role, self.name):
                parent_name, leaf = name.rsplit(".", 1)
                parent = model.get_submodule(parent_name)
                sublayer = getattr(parent, leaf)
                size = max(1, sublayer.out_features // options["reduction"])
                setattr(parent, leaf, Bottleneck(sublayer, size, options["activation"]))
        for module in model.modules():
            if isinstance(module, Bottleneck):
                module.down.requires_grad_(True)
                module.up.requires_grad_(True)
            elif options["train_norms"] and is_norm(module):
                module.requires_grad_(True)
        model.head.requires_grad_(True)
        return model


class Houlsby(BottleneckAdapters):
    roles = ("attention_output", "ffn_output")


class Pfeiffer(BottleneckAdapters):
    roles = ("ffn_output",)


def _options(train_norms: bool) -> tuple[Option, ...]:
    return (
        Option("reduction", int, 16, "hidden size divided by the bottleneck size",
               Range(int, 1, 4096, meaning="a divisor of the hidden size such as 16")),
        Option("activation", str, "relu", f"bottleneck non-linearity ({', '.join(ACTIVATIONS)})"),
        Option("train_norms", bool, train_norms, "also train the backbone's layer norms"),
    )


HOULSBY = METHODS.register(Houlsby(
    name="adapter",
    description="bottleneck adapters after attention and feed-forward (Houlsby), layer norms and head trained",
    options=_options(True),
    training_defaults={"lr": 1e-3},
))

PFEIFFER = METHODS.register(Pfeiffer(
    name="adapter-pfeiffer",
    description="one bottleneck adapter per layer after the feed-forward block (Pfeiffer), head trained",
    options=_options(False),
    training_defaults={"lr": 1e-3},
))
