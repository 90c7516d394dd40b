"""One zero/few-shot run: prompt every evaluation example, score each choice, record the result.

Returns the pieces of the run record that differ from a fine-tuning run; runner.py adds
the common ones and writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.metrics import evaluate
from harness.models.onednn import onednn_linears
from harness.prompting.calibration import (
    CONTENT_FREE_INPUTS,
    calibrate,
    choice_probabilities,
    content_free_prior,
    expected_calibration_error,
)
from harness.prompting.cloze import cloze_scores
from harness.prompting.demonstrations import build_context, draw_demonstrations
from harness.prompting.loglikelihood import Request, check_lengths, encode_requests, score_requests
from harness.prompting.model import PromptModel
from harness.prompting.similarity import similarity_scores
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


def run_prompted(task: TaskDef, data, loaded: PromptModel, options: dict[str, Any], seed: int,
                 progress=None) -> dict[str, Any]:
    """Metrics, prediction rows and the prompting section of the record, for every evaluation split."""
    with onednn_linears(loaded.model) as swapped:
        result = _run_prompted(task, data, loaded, options, seed, progress)
    result["prompting"]["linear_layers"] = "onednn" if swapped else "pytorch"
    return result


def _run_prompted(task: TaskDef, data, loaded: PromptModel, options: dict[str, Any], seed: int,
                  progress) -> dict[str, Any]:
    prompt = prompt_for(task, options)
    k = options.get("k", 0)
    demos = draw_demonstrations(data.train, k, seed, balanced=options.get("balanced", False),
                                source=f"the training split of {task.name}")
    for examples in data.evaluation.values():
        prompt.check_fields(examples[0], task.name)
    headline_scoring = prompt.headline_scoring if loaded.scorer == "loglikelihood" else "sum"
    prior = None
    if options.get("calibrate"):
        content_free = [_content_free_example(prompt, text, data) for text in CONTENT_FREE_INPUTS]
        cf_scores = _score(loaded, prompt, task, content_free, demos, fit=options.get("fit_context", False))
        prior = content_free_prior(cf_scores.by_scoring[headline_scoring])

    metrics, rows, splits = {}, [], {}
    for split, examples in data.evaluation.items():
        scores = _score(loaded, prompt, task, examples, demos, progress=progress, split=split,
                        fit=options.get("fit_context", False))
        labels = [example.label for example in examples]
        raw_probabilities = choice_probabilities(scores.by_scoring[headline_scoring])
        probabilities = calibrate(raw_probabilities, prior) if prior is not None else raw_probabilities
        predictions = probabilities.argmax(axis=1).tolist()
        metrics[split] = evaluate(task.metrics, predictions, labels, num_classes=task.num_labels,
                                  seed=seed).to_dict()
        by_scoring = {}
        for scoring, values in scores.by_scoring.items():
            uncalibrated = np.asarray(values).argmax(axis=1).tolist()
            by_scoring[scoring] = evaluate(task.metrics, uncalibrated, labels, num_classes=task.num_labels,
                                           n_boot=0).values
        splits[split] = {
            "examples": len(examples), "seconds": round(scores.seconds, 3),
            "examples_per_second": round(len(examples) / scores.seconds, 2) if scores.seconds else None,
            "tokens_per_second": round(scores.tokens / scores.seconds, 1) if scores.seconds else None,
            "uncalibrated_metrics": by_scoring,
            "prompts_with_fewer_demonstrations": scores.shortened,
            "expected_calibration_error": expected_calibration_error(probabilities, labels),
            "expected_calibration_error_uncalibrated": expected_calibration_error(raw_probabilities, labels),
        }
        for i, example in enumerate(examples):
            row = {"split": split, "id": example.id, "prediction": predictions[i], "reference": example.label,
                   "probabilities": [round(float(p), 6) for p in probabilities[i]]}
            for scoring, values in scores.by_scoring.items():
                row[f"{'loglikelihood' if loaded.scorer == 'loglikelihood' else 'score'}_{scoring}"] = values[i]
            rows.append(row)

    prompting = {
        "prompt": prompt.to_dict(), "prompt_name": prompt.name, "prompt_hash": prompt.hash,
        "scorer": loaded.scorer, "headline_scoring": headline_scoring, "k": k, "seed": seed,
        "balanced": options.get("balanced", False), "demonstration_ids": [demo.id for demo in demos],
        "calibrated": prior is not None,
        "content_free_prior": None if prior is None else [float(p) for p in prior],
        "splits": splits,
        "majority_class": _majority_baseline(task, data, seed),
    }
    return {"metrics": metrics, "rows": rows, "prompting": prompting}


def _score(loaded: PromptModel, prompt: Prompt, task: TaskDef, examples: list[Example], demos: list[Example],
           progress=None, split: str = "", fit: bool = False) -> SplitScores:
    contexts = [build_context(prompt, example, demos, task.label_names) for example in examples]
    if loaded.scorer == "loglikelihood":
        answers = tuple(prompt.answer(label) for label in range(task.num_labels))
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
        lengths = [max(1, len(choice)) for choice in prompt.choices]
        mean = [[value / length for value, length in zip(row, lengths)] for row in scores.loglikelihoods]
        tokens = sum(len(e.context) + sum(len(c) for c in e.continuations) for e in encoded)
        return SplitScores({"sum": scores.loglikelihoods, "mean": mean}, scores.seconds, tokens, shortened)
    if loaded.scorer == "cloze":
        values, seconds = cloze_scores(loaded.model, loaded.tokenizer, contexts, prompt.choices,
                                       prompt.target_delimiter, max_length=loaded.context_limit)
    else:
        values, seconds = similarity_scores(loaded.model, loaded.tokenizer, contexts, prompt.descriptions)
    tokens = sum(len(ids) for ids in loaded.tokenizer(contexts)["input_ids"])
    return SplitScores({"sum": values}, seconds, tokens)


def _content_free_example(prompt: Prompt, text: str, data) -> Example:
    """An example whose every templated field is the content-free text ('N/A', '', '[MASK]')."""
    fields = {name: text for name in prompt.variables}
    pair = text if "text_pair" in prompt.variables else None
    return Example(id=f"content-free:{text}", text=text, text_pair=pair, fields=fields)


def _majority_baseline(task: TaskDef, data, seed: int) -> dict[str, Any]:
    """Always predicting the training split's most frequent label, scored like the run."""
    counts = np.bincount([example.label for example in data.train], minlength=task.num_labels)
    label = int(counts.argmax())
    metrics = {split: evaluate(task.metrics, [label] * len(examples), [e.label for e in examples],
                               num_classes=task.num_labels, seed=seed).to_dict()
               for split, examples in data.evaluation.items()}
    return {"label": task.label_names[label], "metrics": metrics}
