"""Frozen backbone: only the task head trains (a linear probe)."""

from harness.methods.base import METHODS, Method


class FrozenBackbone(Method):
    def prepare(self, model, options, total_updates):
        model.requires_grad_(False)
        model.head.requires_grad_(True)
        return model


METHOD = METHODS.register(FrozenBackbone(
    name="frozen",
    description="train only the task head on frozen features (linear probe)",
    training_defaults={"lr": 2e-3, "epochs": 10},
))
