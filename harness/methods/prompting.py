"""Prompting instead of fine-tuning: zero-shot and few-shot scoring of a task's prompts.

These methods train nothing; `harness run` hands them to harness/pipeline/prompted.py.
Their options pick the prompt, how choices are scored, the demonstrations and calibration.
"""

from __future__ import annotations

from harness.methods.base import METHODS, Method, Option
from harness.ranges import Range
from harness.tasks import kinds

_COMMON = (
    Option("prompt", str, "", "name of one of the task's prompts (default: its first)"),
    Option("scorer", str, "auto", "auto, loglikelihood (causal LMs), cloze (masked LMs) or similarity (encoders)"),
    Option("calibrate", bool, False, "contextual calibration: divide out the choice probabilities of content-free "
                                     "inputs"),
)


class PromptMethod(Method):
    def prepare(self, model, options, total_updates):
        raise TypeError(f"{self.name} trains nothing; harness.pipeline.prompted scores it")


ZERO_SHOT = METHODS.register(PromptMethod(
    name="zero-shot",
    description="prompt the pretrained model with the task's prompt and score each answer choice",
    options=_COMMON,
    applies_to=(kinds.TEXT_CLASSIFICATION, kinds.TEXT_PAIR_CLASSIFICATION),
    trains=False,
))

FEW_SHOT = METHODS.register(PromptMethod(
    name="few-shot",
    description="as zero-shot, after k solved demonstrations drawn from the training split with the seed",
    options=_COMMON + (
        Option("k", int, 8, "number of demonstrations", Range(int, 1, 512, meaning="demonstrations such as 8")),
        Option("balanced", bool, False, "spread the demonstrations evenly over the labels"),
        Option("fit_context", bool, False, "drop the last demonstrations of a prompt longer than the model's "
                                           "context (counted in the record) instead of failing"),
    ),
    applies_to=(kinds.TEXT_CLASSIFICATION, kinds.TEXT_PAIR_CLASSIFICATION),
    trains=False,
))
