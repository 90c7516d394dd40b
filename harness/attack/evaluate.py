"""Attack a model on one split: every requested attack's search, its summary, and one row per example.

    report, rows = evaluate_attacks(task, entry, seed, examples, clean_output, predict, split="validation")

`predict(examples)` returns the model's output on any examples (values and per-class or
per-tag probabilities); `clean_output` is its output on the split itself, so examples it
already gets wrong cost no query (NER sentences are all attacked: each added entity error lowers F1).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from harness.attack.registry import ATTACKS
from harness.attack.report import attack_summary, worst_over_attacks
from harness.attack.search import (
    SUCCEEDED,
    Attacked,
    Outcome,
    greedy_search,
    run_searches,
)
from harness.attack.settings import check_attack_names
from harness.errors import HarnessError
from harness.metrics.entities import RUN_MODE, entity_spans
from harness.robustness.perturbed import task_language
from harness.scoring import score_predictions
from harness.tasks import Example, TaskDef, kinds


def evaluate_attacks(task: TaskDef, entry: dict[str, Any], seed: int, examples: Sequence[Example], clean_output: Any,
                     predict: Callable[[list[Example]], Any], *, split: str = "",
                     ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The split's attack report (per attack and the worst over them) and its per-example rows."""
    language = task_language(task, examples)
    names = check_attack_names(entry["attacks"], task, language).split(",")
    clean = outcomes(task, clean_output, examples)

    def score(values, scored):
        return score_predictions(task, task.metrics, list(values), list(scored), seed=seed).to_dict()

    clean_values = score([o.value for o in clean], examples)["values"]
    by_attack: dict[str, list[Attacked]] = {}
    report: dict[str, Any] = {"attacks": {}}
    for name in names:
        attack = ATTACKS.get(name)
        started = time.perf_counter()
        searches = [greedy_search(attack, example, outcome, budget=entry["budget"], max_share=entry["max_share"],
                                  seed=seed, labels=task.labels) for example, outcome in zip(examples, clean)]
        results = run_searches(searches, lambda batch: outcomes(task, predict(batch), batch))
        by_attack[name] = results
        report["attacks"][name] = {
            "description": attack.description, "modelled_on": attack.modelled_on,
            "constraints": attack.constraints,
            **attack_summary(results, clean_values, score, seed, time.perf_counter() - started)}
    worst = worst_over_attacks(task.kind, (examples, [o.value for o in clean]), by_attack, task.labels, score,
                               clean_values)
    headline = task.metrics[0]
    report.update({"budget": entry["budget"], "max_share": entry["max_share"], "seed": seed,
                   "examples": len(examples), "clean": clean_values, "worst_case": worst,
                   "worst_attack": min(names, key=lambda n: report["attacks"][n]["metrics"]["values"][headline])})
    rows = [_row(task, split, name, result) for name, results in by_attack.items() for result in results]
    return report, rows


def outcomes(task: TaskDef, output: Any, examples: Sequence[Example]) -> list[Outcome]:
    """Gold-label score, errors and prediction of each example, from a model's output on them."""
    probabilities = getattr(output, "probabilities", None)
    if probabilities is None:
        raise HarnessError(f"the model's scorer gives no probabilities for task {task.name}, so no attack can "
                           "follow its gold-label score; run without --attack")
    found = []
    for i, example in enumerate(examples):
        value = output.values[i]
        if task.kind == kinds.TOKEN_CLASSIFICATION:
            per_word = probabilities[i]
            gold_score = sum(per_word[w][t] for w, t in enumerate(example.tags)) / max(len(example.tags), 1)
            errors = len(_entities(value, task.labels) ^ _entities(example.tags, task.labels))
            found.append(Outcome(float(gold_score), errors, value))
        else:
            wrong = value != example.label
            found.append(Outcome(float(probabilities[i][example.label]), int(wrong), value, settled=wrong))
    return found


def _entities(tag_ids: Sequence[int], labels: Sequence[str]) -> set:
    return set(entity_spans([labels[t] for t in tag_ids], RUN_MODE))


def _row(task: TaskDef, split: str, name: str, result: Attacked) -> dict[str, Any]:
    """What the attacked-rows file keeps per example: enough to read the attack side by side with the clean text."""
    example = result.example
    row: dict[str, Any] = {"split": split, "attack": name, "id": example.id, "status": result.status,
                           "queries": result.queries, "units": result.units,
                           "changes": [list(change) for change in result.changed]}
    if result.changed:
        if example.words is not None:
            row["words"] = list(example.words)
        else:
            row["text"] = example.text_pair if example.text_pair is not None else example.text
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        row["prediction"] = [task.labels[t] for t in result.value]
    else:
        row["prediction"] = result.value
    row["success"] = result.status == SUCCEEDED
    return row
