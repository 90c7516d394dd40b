"""Full fine-tuning: every weight trains."""

from harness.methods.base import METHODS, Method


class FullFineTuning(Method):
    def prepare(self, model, options, total_updates):
        model.requires_grad_(True)
        return model


METHOD = METHODS.register(FullFineTuning(
    name="full",
    description="update every weight of the backbone and the head",
    training_defaults={"lr": 1e-4},
))
