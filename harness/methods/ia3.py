"""(IA)^3 through peft: learned vectors rescaling keys, values and the feed-forward activations."""

from __future__ import annotations

from peft import IA3Config, get_peft_model

from harness.methods.base import METHODS, Method
from harness.methods.layer_roles import layers_by_role


def _targets(model) -> tuple[list[str], list[str]]:
    """(all targets, the feed-forward ones): IA3 rescales a feed-forward layer's input, the others' output."""
    feedforward = layers_by_role(model, "ffn_output", "ia3")
    attention = layers_by_role(model, "key", "ia3") + layers_by_role(model, "value", "ia3")
    return attention + feedforward, feedforward


class IA3(Method):
    def check(self, model, kind, options):
        super().check(model, kind, options)
        _targets(model)

    def prepare(self, model, options, total_updates):
        targets, feedforward = _targets(model)
        config = IA3Config(target_modules=targets, feedforward_modules=feedforward, modules_to_save=["head"])
        return get_peft_model(model, config)


METHOD = METHODS.register(IA3(
    name="ia3",
    description="(IA)^3 (peft): learned rescaling of keys, values and feed-forward activations, head trained fully",
    training_defaults={"lr": 3e-3},
))
