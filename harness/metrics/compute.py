"""evaluate(): metric names + predictions + references -> values, intervals, details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.metrics import classification, entities
from harness.metrics.base import TAGS, Metric, StatsFn
from harness.metrics.bootstrap import bootstrap_values, percentile_interval
from harness.metrics.registry import get_metric
from harness.metrics.report import MetricReport

# stats functions whose rows are confusion-matrix cells, for the per-class counts
_CONFUSION_STATS = (classification.confusion_rows, classification.binary_confusion_rows)


def example_stats(metric_name: str, predictions: Any, references: Any, **options: Any) -> np.ndarray:
    """The per-example rows `metric_name` is computed from (one row per example).

    Options: num_classes (classification), tag_names and ner_mode (NER). Rows of two runs
    line up when they were made with the same options (pass num_classes / tag_names).
    """
    return get_metric(metric_name).stats(predictions, references, **options)


def _check_options(n_boot: int, confidence: float) -> None:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise HarnessError(f"n_boot must be a whole number >= 0 (0 skips the intervals), got {n_boot!r}")
    if not 0 < confidence < 1:
        raise HarnessError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95), got {confidence!r}")


def _metrics(metric_names: Sequence[str] | str) -> list[Metric]:
    names = [metric_names] if isinstance(metric_names, str) else list(dict.fromkeys(metric_names))
    if not names:
        raise HarnessError("no metric asked for; name at least one, e.g. accuracy")
    metrics = [get_metric(name) for name in names]
    kinds = {metric.input_kind for metric in metrics}
    if len(kinds) > 1:
        listing = ", ".join(f"{m.name} ({m.input_kind})" for m in metrics)
        raise HarnessError(f"these metrics need different kinds of predictions: {listing}; score them separately")
    return metrics


def evaluate(
    metric_names: Sequence[str] | str,
    predictions: Any,
    references: Any,
    *,
    tag_names: Sequence[str] | None = None,
    ner_mode: str = entities.RUN_MODE,
    num_classes: int | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> MetricReport:
    """Score predictions against references with every metric named, plus bootstrap intervals.

    Classification: int class indices (num_classes fixes K; default largest label + 1).
    Regression: floats. NER: one list of IOB2 tags (or indices into tag_names) per sentence,
    one tag per word; ner_mode is "strict" or "conlleval". Undefined values are nan and
    details["notes"] says why; nothing here raises on degenerate data.
    """
    _check_options(n_boot, confidence)
    metrics = _metrics(metric_names)
    options: dict[str, Any] = {"tag_names": tag_names, "ner_mode": ner_mode, "num_classes": num_classes}
    if metrics[0].input_kind == TAGS:
        entities.check_mode(ner_mode)

    # metrics sharing a stats function share its rows and its resamples
    by_stats: dict[StatsFn, list[Metric]] = {}
    for metric in metrics:
        by_stats.setdefault(metric.stats, []).append(metric)
    all_stats = {fn: fn(predictions, references, **options) for fn in by_stats}

    scored: dict[str, tuple[float, tuple[float, float], str | None]] = {}
    for fn, group in by_stats.items():
        scored.update(_score_group(group, all_stats[fn], n_boot=n_boot, seed=seed, confidence=confidence))
    details: dict[str, Any] = {
        "bootstrap": {"method": "percentile", "n_boot": n_boot, "seed": seed, "confidence": confidence}
    }
    confusion = [all_stats[fn] for fn in _CONFUSION_STATS if fn in all_stats]
    if confusion:
        details["classes"] = classification.class_counts(confusion[0])
    if entities.entity_rows in all_stats:
        details.update(_entity_details(metrics, predictions, references, options, all_stats[entities.entity_rows]))
    notes = {name: note for name, (_, _, note) in scored.items() if note}
    if notes:
        details["notes"] = notes
    return MetricReport(
        values={m.name: scored[m.name][0] for m in metrics},  # in the order asked for
        intervals={m.name: scored[m.name][1] for m in metrics},
        details=details,
        n=len(next(iter(all_stats.values()))),
    )


def _score_group(
    group: list[Metric], stats: np.ndarray, *, n_boot: int, seed: int, confidence: float
) -> dict[str, tuple[float, tuple[float, float], str | None]]:
    """name -> (value, interval, note) for metrics computed from the same rows."""
    resampled = bootstrap_values(group, stats, n_boot=n_boot, seed=seed)
    out = {}
    for metric in group:
        note = metric.explain(stats) if metric.explain else None
        undefined = int(np.isnan(resampled[metric.name]).sum())
        if note is None and undefined:
            note = f"{undefined} of {n_boot} resamples were undefined and left out of the interval"
        out[metric.name] = (metric.value(stats), percentile_interval(resampled[metric.name], confidence), note)
    return out


def _entity_details(
    metrics: list[Metric], predictions: Any, references: Any, options: dict[str, Any], stats: np.ndarray
) -> dict[str, Any]:
    """Per-type scores in the chosen mode, and the headline scores in the other mode."""
    mode = options["ner_mode"]
    other = next(m for m in entities.MODES if m != mode)
    other_stats = entities.entity_rows(predictions, references, **{**options, "ner_mode": other})
    return {
        "ner_mode": mode,
        "per_type": entities.per_type(stats, entities.row_types(predictions, references, options["tag_names"])),
        other: {m.name: m.value(other_stats) for m in metrics if m.stats is entities.entity_rows},
    }
