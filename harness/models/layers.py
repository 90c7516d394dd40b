"""A student with N of a pretrained model's transformer layers, taken evenly from its stack (DistilBERT kept one
layer of two), so any model can be shrunk without a separately published small checkpoint."""

from __future__ import annotations

from torch import nn

from harness.errors import HarnessError


def kept_layers(total: int, keep: int) -> list[int]:
    """Indices of the layers a `keep`-layer student takes from `total`: every k-th from the first
    (6 -> 3 keeps 0, 2, 4; 12 -> 4 keeps 0, 3, 6, 9)."""
    return [(i * total) // keep for i in range(keep)]


def layer_stack(backbone: nn.Module) -> tuple[nn.Module, str, nn.ModuleList]:
    """(its parent, its attribute name, the stack): the one ModuleList holding the backbone's
    num_hidden_layers blocks (BERT's encoder.layer, Llama's and Gemma's layers)."""
    total = getattr(backbone.config, "num_hidden_layers", None)
    found = [(name, module) for name, module in backbone.named_modules()
             if isinstance(module, nn.ModuleList) and len(module) == total]
    if total is None or len(found) != 1:
        raise HarnessError(f"--student-layers: cannot tell which modules of {type(backbone).__name__} are its "
                           "transformer layers; use a smaller model by name instead")
    name, stack = found[0]
    parent_name, _, attribute = name.rpartition(".")
    return backbone.get_submodule(parent_name) if parent_name else backbone, attribute, stack


def keep_layers(backbone: nn.Module, keep: int) -> list[int]:
    """Cut the backbone down to `keep` layers in place (their pretrained weights kept); returns their indices."""
    parent, attribute, stack = layer_stack(backbone)
    total = len(stack)
    if not 1 <= keep <= total:
        raise HarnessError(f"--student-layers {keep}: the model has {total} layers; keep from 1 to {total}")
    chosen = kept_layers(total, keep)
    setattr(parent, attribute, nn.ModuleList([stack[i] for i in chosen]))
    config = backbone.config
    config.num_hidden_layers = keep
    if isinstance(getattr(config, "layer_types", None), list):  # Gemma 3: sliding or full attention per layer
        config.layer_types = [config.layer_types[i] for i in chosen]
    for position, block in enumerate(getattr(parent, attribute)):
        for module in block.modules():  # decoders index their key-value cache by layer
            if isinstance(getattr(module, "layer_idx", None), int):
                module.layer_idx = position
    return chosen


def layers_of(model: nn.Module) -> int:
    """The transformer layers a (task) model's backbone has now."""
    backbone = getattr(model, "backbone", model)
    return len(layer_stack(backbone)[2])

