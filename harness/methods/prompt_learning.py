"""Prompt-learning methods through peft: prefix tuning, prompt tuning and P-tuning.

peft wraps the backbone (as a feature extractor); the head stays outside and trains
fully. Prompt tuning and P-tuning prepend virtual tokens to the input, whose hidden
states the TaskModel drops before pooling or tagging; prefix tuning adds them to every
layer's keys and values instead, so the sequence keeps its length. peft ignores token
type ids under prompt learning, so sentence pairs are told apart only by the separator.
"""

from __future__ import annotations

from peft import PrefixTuningConfig, PromptEncoderConfig, PromptTuningConfig, TaskType, get_peft_model

from harness.methods.base import METHODS, Method, Option
from harness.ranges import Range

# Each virtual token is a position of every sequence (and, for prefix, a key and value in every layer).
VIRTUAL_TOKENS = Option("virtual_tokens", int, 20, "number of virtual tokens",
                        Range(int, 1, 1024, meaning="prompt positions such as 20"))


class PromptLearning(Method):
    prepends_tokens: bool = True

    def config(self, options: dict):
        raise NotImplementedError

    def check(self, model, kind, options):
        super().check(model, kind, options)

    def prepare(self, model, options, total_updates):
        model.requires_grad_(False)
        model.backbone = get_peft_model(model.backbone, self.config(options))
        model.head.requires_grad_(True)
        model.use_token_types = False
        model.virtual_tokens = options["virtual_tokens"] if self.prepends_tokens else 0
        return model


class PrefixTuning(PromptLearning):
    prepends_tokens = False

    def config(self, options):
        return PrefixTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=options["virtual_tokens"],
                                  prefix_projection=options["projection"] > 0,
                                  encoder_hidden_size=options["projection"] or None)


class PromptTuning(PromptLearning):
    def config(self, options):
        return PromptTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=options["virtual_tokens"])


class PTuning(PromptLearning):
    def config(self, options):
        return PromptEncoderConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=options["virtual_tokens"],
                                   encoder_hidden_size=options["encoder_size"])


PREFIX = METHODS.register(PrefixTuning(
    name="prefix",
    description="prefix tuning (peft): trained key/value prefixes in every attention layer, head trained fully",
    options=(VIRTUAL_TOKENS, Option("projection", int, 0,
                                    "hidden size of an MLP that reparameterises the prefix (0: none)",
                                    Range(int, 0, 65536, meaning="a hidden size, 0 for none"))),
    training_defaults={"lr": 5e-3},
    # the prefix reaches every layer as cached keys and values, which a recomputed layer would append again
    no_checkpointing_because="peft's prefix tuning refuses it (its key/value prefixes live in the attention cache, "
                             "which a recomputed layer would extend twice)",
))

PROMPT = METHODS.register(PromptTuning(
    name="prompt",
    description="prompt tuning (peft): trained embeddings prepended to the input, head trained fully",
    options=(VIRTUAL_TOKENS,),
    training_defaults={"lr": 1e-2},
))

PTUNING = METHODS.register(PTuning(
    name="ptuning",
    description="P-tuning (peft): prepended embeddings produced by a trained MLP prompt encoder, head trained fully",
    options=(VIRTUAL_TOKENS, Option("encoder_size", int, 128, "hidden size of the prompt encoder MLP",
                                          Range(int, 1, 65536, meaning="a hidden size such as 128"))),
    training_defaults={"lr": 5e-3},
))
