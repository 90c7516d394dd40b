"""Finding a backbone's layers by role, whatever the architecture calls them.

Methods name layers by role (the attention's key projection, the feed-forward output)
rather than by one architecture's names, so one method definition serves BERT, Llama,
Gemma and the rest. Add an architecture's names to ROLES.
"""

from __future__ import annotations

import re

from torch import nn

from harness.errors import HarnessError
from harness.models.heads import TaskModel

# Regular expressions over full module names (relative to the backbone), by role.
ROLES: dict[str, tuple[str, ...]] = {
    "key": (r"\.attention\.self\.key$", r"\.self_attn\.k_proj$", r"\.attention\.k_lin$", r"\.attn\.k_proj$"),
    "value": (r"\.attention\.self\.value$", r"\.self_attn\.v_proj$", r"\.attention\.v_lin$", r"\.attn\.v_proj$"),
    # the projection that ends the attention sub-layer, just before its residual add
    "attention_output": (r"\.attention\.output\.dense$", r"\.self_attn\.o_proj$", r"\.attention\.out_lin$",
                         r"\.attn\.out_proj$"),
    # the projection that ends the feed-forward sub-layer, just before its residual add
    "ffn_output": (r"layer\.\d+\.output\.dense$", r"\.mlp\.down_proj$", r"\.ffn\.lin2$", r"\.mlp\.fc2$"),
}

ATTENTION_NAMES = {"query", "key", "value", "q_proj", "k_proj", "v_proj", "o_proj", "q_lin", "k_lin", "v_lin",
                   "out_proj", "qkv_proj", "Wqkv", "c_attn"}


def linear_layers(model: TaskModel) -> dict[str, list[str]]:
    """Leaf name -> full names (from the TaskModel) of the backbone's linear layers with that name."""
    found: dict[str, list[str]] = {}
    for name, module in model.backbone.named_modules():
        if isinstance(module, nn.Linear):
            found.setdefault(name.rsplit(".", 1)[-1], []).append(f"backbone.{name}")
    return found


def layers_by_role(model: TaskModel, role: str, method: str) -> list[str]:
    """Full names of the backbone's linear layers playing `role`; a clear error when there are none."""
    patterns = [re.compile(p) for p in ROLES[role]]
    names = [f"backbone.{name}" for name, module in model.backbone.named_modules()
             if isinstance(module, nn.Linear) and any(p.search(name) for p in patterns)]
    if not names:
        model_type = getattr(model.config, "model_type", "?")
        raise HarnessError(f"method {method} cannot find the {role.replace('_', ' ')} layers of a {model_type} model; "
                           f"add its layer names to ROLES in harness/methods/layer_roles.py or choose another method")
    return names


def resolve_targets(model: TaskModel, targets: str, flag: str) -> list[str]:
    """'all-linear', 'attention' or comma-separated leaf names -> full module names."""
    layers = linear_layers(model)
    if targets == "all-linear":
        wanted = list(layers)
    elif targets == "attention":
        wanted = [leaf for leaf in layers if leaf in ATTENTION_NAMES]
    else:
        wanted = [t.strip() for t in targets.split(",") if t.strip()]
        missing = [t for t in wanted if t not in layers]
        if missing:
            raise HarnessError(f"{flag} {', '.join(missing)} is not a linear layer of this model "
                               f"(its linear layers: {', '.join(sorted(layers))})")
    names = [full for leaf in wanted for full in layers[leaf]]
    if not names:
        raise HarnessError(f"{flag} {targets} matches no linear layer of this model "
                           f"(its linear layers: {', '.join(sorted(layers))})")
    return names
