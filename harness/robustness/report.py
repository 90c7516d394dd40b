"""Summaries of predictions on clean and perturbed copies of a split.

Per perturbation: the task's metrics, the drop from clean (clean minus perturbed, so a
positive drop is a loss), and the share of examples whose prediction changed. The worst
case follows HELM: per example, the worst of its clean and perturbed versions, scored
together with the task's metrics, so an example counts as correct only if it is correct
under every perturbation. What "worst" and "changed" mean by task kind:

- classification: a wrong prediction if any version is wrong; changed = another class;
- regression: the prediction farthest from the gold score; changed = moved by more
  than 1% of the gold scores' range;
- token classification: the sentence version with the most entity errors (predicted and
  gold entities not shared), with its own gold tags (entity swaps and inserted words change
  them); changed = a different tag sequence, or different entity types in order where the
  number of words changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.metrics.entities import RUN_MODE, Span, entity_spans
from harness.tasks import Example, kinds

Predicted = tuple[Sequence[Example], Sequence[Any]]  # examples and one prediction per example
Score = Callable[[Sequence[Any], Sequence[Example]], dict[str, float]]  # -> metric values


def robustness_report(kind: str, clean: Predicted, variants: Mapping[str, Predicted], score: Score,
                      severities: Mapping[str, float] | None = None, labels: Sequence[str] = (),
                      seen: Sequence[str] = ()) -> dict[str, Any]:
    """Per perturbation: metrics, drop from clean and share changed; the worst case over all of them.
    With `seen` (the perturbations a model was augmented with), also the worst case over those
    (`seen`) and over the rest (`unseen`): noise a model trained on says little about robustness."""
    clean_examples, clean_values = clean
    clean_scores = score(clean_values, clean_examples)
    perturbations = {}
    for name, (examples, values) in variants.items():
        scores = score(values, examples)
        perturbations[name] = {
            "severity": (severities or {}).get(name),
            "metrics": scores,
            "drop": {metric: clean_scores[metric] - value for metric, value in scores.items()},
            "changed_share": _changed_share(kind, clean, (examples, values), labels),
        }
    worst = _worst(kind, clean, list(variants.values()), labels, score)
    report = {"examples": len(clean_examples), "clean": clean_scores, "perturbations": perturbations,
              "worst_case": worst, "worst_case_drop": {m: clean_scores[m] - v for m, v in worst.items()}}
    if seen:
        for group, names in (("seen", [n for n in variants if n in seen]),
                             ("unseen", [n for n in variants if n not in seen])):
            group_worst = _worst(kind, clean, [variants[n] for n in names], labels, score)
            report[group] = {"perturbations": names, "worst_case": group_worst,
                             "worst_case_drop": {m: clean_scores[m] - v for m, v in group_worst.items()}}
    return report


def _worst(kind: str, clean: Predicted, variants: Sequence[Predicted], labels: Sequence[str],
           score: Score) -> dict[str, float]:
    worst_examples, worst_values = worst_case_predictions(kind, clean, variants, labels)
    return score(worst_values, worst_examples)


def worst_case_predictions(kind: str, clean: Predicted, variants: Sequence[Predicted],
                           labels: Sequence[str] = ()) -> tuple[list[Example], list[Any]]:
    """Per example, the version (clean or perturbed) the model does worst on."""
    versions = [clean, *variants]
    examples, values = [], []
    for i in range(len(clean[0])):
        candidates = [(exs[i], vals[i]) for exs, vals in versions]
        example, value = max(candidates, key=lambda pair: _badness(kind, pair[0], pair[1], labels))
        examples.append(example)
        values.append(value)
    return examples, values


def _badness(kind: str, example: Example, value: Any, labels: Sequence[str]) -> float:
    """How wrong one prediction is; max() keeps the first of equals, so clean wins ties."""
    if kind == kinds.REGRESSION:
        return abs(float(value) - float(example.label))
    if kind == kinds.TOKEN_CLASSIFICATION:
        return len(set(_entities(value, labels)) ^ set(_entities(example.tags, labels)))
    return float(value != example.label)


def _changed_share(kind: str, clean: Predicted, perturbed: Predicted, labels: Sequence[str]) -> float:
    clean_examples, clean_values = clean
    examples, values = perturbed
    if not clean_values:
        return 0.0
    if kind == kinds.REGRESSION:
        gold = [float(e.label) for e in clean_examples]
        tolerance = 0.01 * ((max(gold) - min(gold)) or 1.0)
        changed = [abs(float(a) - float(b)) > tolerance for a, b in zip(clean_values, values)]
    elif kind == kinds.TOKEN_CLASSIFICATION:
        changed = [_tags_changed(a, b, labels) for a, b in zip(clean_values, values)]
    else:
        changed = [a != b for a, b in zip(clean_values, values)]
    return sum(changed) / len(changed)


def _tags_changed(clean: Sequence[int], perturbed: Sequence[int], labels: Sequence[str]) -> bool:
    if len(clean) == len(perturbed):
        return list(clean) != list(perturbed)
    types = [[span.kind for span in _entities(tags, labels)] for tags in (clean, perturbed)]
    return types[0] != types[1]


def _entities(tag_ids: Sequence[int], labels: Sequence[str]) -> list[Span]:
    """One sentence's entities, from tag indices, read as runs score them (a stray I-X starts none)."""
    return entity_spans([labels[t] for t in tag_ids], RUN_MODE)
