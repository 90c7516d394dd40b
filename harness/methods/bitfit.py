"""BitFit (Ben Zaken et al., 2022): only the bias terms of the backbone train, and the head."""

from harness.errors import HarnessError
from harness.methods.base import METHODS, Method


def _bias_names(model) -> list[str]:
    return [name for name, _ in model.backbone.named_parameters() if name.endswith("bias")]


class BitFit(Method):
    def check(self, model, kind, options):
        super().check(model, kind, options)
        if not _bias_names(model):
            model_type = getattr(model.config, "model_type", "this model")
            raise HarnessError(f"method bitfit trains bias terms, but {model_type} has none (its linear and norm "
                               "layers are bias-free); choose another method, such as lora or ia3")

    def prepare(self, model, options, total_updates):
        model.requires_grad_(False)
        for name, parameter in model.backbone.named_parameters():
            parameter.requires_grad = name.endswith("bias")
        model.head.requires_grad_(True)
        return model


METHOD = METHODS.register(BitFit(
    name="bitfit",
    description="train only the backbone's bias terms and the head",
    training_defaults={"lr": 1e-3},
))
