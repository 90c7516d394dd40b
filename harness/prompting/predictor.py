"""Zero/few-shot prediction: prompt each example, score every choice, predict the best one.

    predictor = PromptPredictor(task, data.train, data.evaluation, loaded, spec.method_options, seed, progress)
    output = predictor(examples, "validation")       # a SplitOutput for harness.evaluation
    predictor.section(evaluated.summaries, data.evaluation)   # the record's `prompting` section

The demonstrations, the prompt and the calibration prior are fixed once, so a perturbed copy
of a split is scored exactly as the split itself. Metrics are not computed here: the run
scores the predictions through harness.evaluation like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.majority import majority_baseline
from harness.prompting.calibration import (
    CONTENT_FREE_INPUTS,
    calibrate,
    choice_probabilities,
    content_free_prior,
    expected_calibration_error,
)
from harness.prompting.cloze import cloze_scores
from harness.prompting.demonstrations import build_context, draw_demonstrations
from harness.prompting.loglikelihood import (
    Request,
    check_lengths,
    encode_requests,
    score_requests,
)
from harness.prompting.model import PromptModel
from harness.prompting.similarity import similarity_scores
from harness.scoring import score_predictions
from harness.tasks import Example, TaskDef
from harness.tasks.prompts import Prompt, find_prompt


@dataclass
class SplitScores:
    """Raw choice scores of one split: 'sum' always, 'mean' (per answer character) for log-likelihoods."""

    by_scoring: dict[str, list[list[float]]]
    seconds: float
    tokens: int  # tokens run through the model (contexts once, plus continuations)
    shortened: int = 0  # prompts that kept fewer demonstrations to fit the model's context


def prompt_for(task: TaskDef, options: dict[str, Any]) -> Prompt:
    return find_prompt(task.prompts, options.get("prompt"), task.name)


@dataclass
class PromptedSplit:
    """One split's prompted predictions (a harness.evaluation.SplitOutput)."""

    task: TaskDef
    examples: Sequence[Example]
    scores: SplitScores
    probabilities: np.ndarray  # calibrated when asked
    raw_probabilities: np.ndarray
    values: list[int]
    row_prefix: str  # 'loglikelihood' or 'score': how each choice's raw score is named in the rows

    def rows(self, task: TaskDef, split: str, examples: Sequence[Example]) -> list[dict[str, Any]]:
        rows = []
        for i, example in enumerate(examples):
            row = {"split": split, "id": example.id, "prediction": self.values[i], "reference": example.label,
                   "probabilities": [round(float(p), 6) for p in self.probabilities[i]]}
            for scoring, values in self.scores.by_scoring.items():
                row[f"{self.row_prefix}_{scoring}"] = values[i]
            rows.append(row)
        return rows

    def summary(self) -> dict[str, Any]:
        scores, labels = self.scores, [example.label for example in self.examples]
        uncalibrated = {scoring: score_predictions(self.task, self.task.metrics, np.asarray(values).argmax(axis=1).tolist(),
                                                   self.examples, n_boot=0).values
                        for scoring, values in scores.by_scoring.items()}
        return {
            "examples": len(self.examples), "seconds": round(scores.seconds, 3),
            "examples_per_second": round(len(self.examples) / scores.seconds, 2) if scores.seconds else None,
            "tokens_per_second": round(scores.tokens / scores.seconds, 1) if scores.seconds else None,
            "uncalibrated_metrics": uncalibrated,
            "prompts_with_fewer_demonstrations": scores.shortened,
            "expected_calibration_error": expected_calibration_error(self.probabilities, labels),
            "expected_calibration_error_uncalibrated": expected_calibration_error(self.raw_probabilities, labels),
        }


class PromptPredictor:
    """Scores a task's prompt with a pretrained model: the same prompt, demonstrations and prior for every split."""

    def __init__(self, task: TaskDef, train: Sequence[Example], evaluation: Mapping[str, Sequence[Example]],
                 loaded: PromptModel, options: dict[str, Any], seed: int, progress=None) -> None:
        self.task, self.train, self.loaded, self.options, self.seed, self.progress = (
            task, train, loaded, options, seed, progress)
        self.prompt = prompt_for(task, options)
        self.demos = draw_demonstrations(train, options.get("k", 0), seed, balanced=options.get("balanced", False),
                                         source=f"the training split of {task.name}")
        for examples in evaluation.values():  # a template field the data lacks fails before anything is scored
            self.prompt.check_fields(examples[0], task.name)
        self.headline_scoring = self.prompt.headline_scoring if loaded.scorer == "loglikelihood" else "sum"
        self.prior = self.prior_for(self.prompt, self.demos)

    def prior_for(self, prompt: Prompt, demos: Sequence[Example]) -> np.ndarray | None:
        """The content-free prior of `prompt` with `demos` when the run calibrates; None otherwise."""
        if not self.options.get("calibrate"):
            return None
        content_free = [_content_free_example(prompt, text) for text in CONTENT_FREE_INPUTS]
        scores = _score(self.loaded, prompt, self.task, content_free, demos, fit=self.options.get("fit_context", False))
        return content_free_prior(scores.by_scoring[self.headline_scoring_of(prompt)])

    def headline_scoring_of(self, prompt: Prompt) -> str:
        return prompt.headline_scoring if self.loaded.scorer == "loglikelihood" else "sum"

    def __call__(self, examples: Sequence[Example], split: str, perturbed: bool = False) -> PromptedSplit:
        return self.predictions(examples, self._score(examples, split, show=not perturbed), self.prompt, self.prior)

    def predictions(self, examples: Sequence[Example], scores: SplitScores, prompt: Prompt,
                    prior: np.ndarray | None) -> PromptedSplit:
        """A split's predictions from its choice scores under `prompt` (calibrated by `prior`, when given)."""
        raw = choice_probabilities(scores.by_scoring[self.headline_scoring_of(prompt)])
        probabilities = calibrate(raw, prior) if prior is not None else raw
        prefix = "loglikelihood" if self.loaded.scorer == "loglikelihood" else "score"
        return PromptedSplit(self.task, examples, scores, probabilities, raw, probabilities.argmax(axis=1).tolist(),
                             prefix)

    def section(self, summaries: Mapping[str, dict[str, Any]], evaluation: Mapping[str, Sequence[Example]]
                ) -> dict[str, Any]:
        """The record's `prompting` section, given each reported split's summary."""
        options = self.options
        return {
            "prompt": self.prompt.to_dict(), "prompt_name": self.prompt.name, "prompt_hash": self.prompt.hash,
            "scorer": self.loaded.scorer, "headline_scoring": self.headline_scoring, "k": options.get("k", 0),
            "seed": self.seed, "balanced": options.get("balanced", False),
            "demonstration_ids": [demo.id for demo in self.demos],
            "calibrated": self.prior is not None,
            "content_free_prior": None if self.prior is None else [float(p) for p in self.prior],
            "splits": dict(summaries),
            "majority_class": majority_baseline(self.task, self.train, evaluation, self.seed),
        }

    def _score(self, examples: Sequence[Example], split: str = "", show: bool = False) -> SplitScores:
        return _score(self.loaded, self.prompt, self.task, list(examples), self.demos,
                      progress=self.progress if show else None, split=split, fit=self.options.get("fit_context", False))


def _score(loaded: PromptModel, prompt: Prompt, task: TaskDef, examples: list[Example], demos: Sequence[Example],
           progress=None, split: str = "", fit: bool = False) -> SplitScores:
    return score_shared(loaded, [prompt], task, examples, demos, progress=progress, split=split, fit=fit)[0]


def score_shared(loaded: PromptModel, prompts: Sequence[Prompt], task: TaskDef, examples: list[Example],
                 demos: Sequence[Example], progress=None, split: str = "", fit: bool = False) -> list[SplitScores]:
    """The scores of prompts that render the same contexts and differ only in their answer words: each
    context runs through a log-likelihood scorer once for every prompt's answers (the other scorers score
    prompt by prompt). Time and tokens are shared out evenly between the prompts."""
    if loaded.scorer != "loglikelihood":
        return [_score_other(loaded, prompt, task, examples, demos) for prompt in prompts]
    prompt = prompts[0]
    contexts = [build_context(prompt, example, demos, task.label_names) for example in examples]
    answers = tuple(dict.fromkeys(p.answer(label) for p in prompts for label in range(task.num_labels)))
    requests = [Request(context, answers) for context in contexts]
    encoded = encode_requests(loaded.tokenizer, requests)
    shortened = 0
    if fit:  # drop the last demonstrations of prompts that do not fit, rather than fail
        for i, example in enumerate(examples):
            kept = len(demos)
            while encoded[i].longest > loaded.context_limit and kept > 0:
                kept -= 1
                requests[i] = Request(build_context(prompt, example, demos[:kept], task.label_names), answers)
                encoded[i] = encode_requests(loaded.tokenizer, [requests[i]])[0]
            shortened += kept < len(demos)
    check_lengths(encoded, loaded.context_limit, f"{task.name} {split}".strip())
    on_batch = progress.start(split, len(requests)) if progress and split else None
    scores = score_requests(loaded.model, loaded.tokenizer, requests, on_batch=on_batch)
    tokens = sum(len(e.context) + sum(len(c) for c in e.continuations) for e in encoded)
    results = []
    for p in prompts:
        columns = [answers.index(p.answer(label)) for label in range(task.num_labels)]
        summed = [[row[c] for c in columns] for row in scores.loglikelihoods]
        lengths = [max(1, len(choice)) for choice in p.choices]
        mean = [[value / length for value, length in zip(row, lengths)] for row in summed]
        results.append(SplitScores({"sum": summed, "mean": mean}, scores.seconds / len(prompts),
                                   tokens // len(prompts), shortened))
    return results


def _score_other(loaded: PromptModel, prompt: Prompt, task: TaskDef, examples: list[Example],
                 demos: Sequence[Example]) -> SplitScores:
    contexts = [build_context(prompt, example, demos, task.label_names) for example in examples]
    if loaded.scorer == "cloze":
        values, seconds = cloze_scores(loaded.model, loaded.tokenizer, contexts, prompt.choices,
                                       prompt.target_delimiter, max_length=loaded.context_limit)
    else:
        values, seconds = similarity_scores(loaded.model, loaded.tokenizer, contexts, prompt.descriptions)
    tokens = sum(len(ids) for ids in loaded.tokenizer(contexts)["input_ids"])
    return SplitScores({"sum": values}, seconds, tokens)


def _content_free_example(prompt: Prompt, text: str) -> Example:
    """An example whose every templated field is the content-free text ('N/A', '', '[MASK]')."""
    fields = {name: text for name in prompt.variables}
    pair = text if "text_pair" in prompt.variables else None
    return Example(id=f"content-free:{text}", text=text, text_pair=pair, fields=fields)
