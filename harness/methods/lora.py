"""LoRA through peft: low-rank updates on chosen linear layers; the head trains fully."""

from __future__ import annotations

from peft import LoraConfig, get_peft_model
from torch import nn

from harness.errors import HarnessError
from harness.methods.base import Method, Option
from harness.models.heads import TaskModel

ATTENTION_NAMES = {"query", "key", "value", "q_proj", "k_proj", "v_proj", "o_proj", "q_lin", "k_lin", "v_lin",
                   "out_proj", "qkv_proj", "Wqkv", "c_attn"}


def linear_layers(model: TaskModel) -> dict[str, list[str]]:
    """Leaf name -> full names of the backbone's linear layers with that name."""
    found: dict[str, list[str]] = {}
    for name, module in model.backbone.named_modules():
        if isinstance(module, nn.Linear):
            found.setdefault(name.rsplit(".", 1)[-1], []).append(f"backbone.{name}")
    return found


def resolve_targets(model: TaskModel, targets: str) -> list[str]:
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
            raise HarnessError(f"LoRA target {', '.join(missing)} is not a linear layer of this model "
                               f"(its linear layers: {', '.join(sorted(layers))}); fix --lora-targets")
    names = [full for leaf in wanted for full in layers[leaf]]
    if not names:
        raise HarnessError(f"--lora-targets {targets} matches no linear layer of this model "
                           f"(its linear layers: {', '.join(sorted(layers))})")
    return names


class LoRA(Method):
    def check(self, model, kind, options):
        super().check(model, kind, options)
        if options["r"] < 1:
            raise HarnessError(f"--lora-r must be a positive integer, got {options['r']}")
        resolve_targets(model, options["targets"])

    def prepare(self, model, options):
        config = LoraConfig(
            r=options["r"],
            lora_alpha=options["alpha"],
            lora_dropout=options["dropout"],
            target_modules=resolve_targets(model, options["targets"]),
            modules_to_save=["head"],
        )
        return get_peft_model(model, config)


METHOD = LoRA(
    name="lora",
    description="low-rank adapters (peft) on the backbone's linear layers, head trained fully",
    options=(
        Option("r", int, 8, "rank of the low-rank update"),
        Option("alpha", float, 16.0, "scaling numerator (update scaled by alpha / r)"),
        Option("dropout", float, 0.1, "dropout on the LoRA input"),
        Option("targets", str, "all-linear", "'all-linear', 'attention', or comma-separated layer names"),
    ),
    training_defaults={"lr": 5e-4},
)
