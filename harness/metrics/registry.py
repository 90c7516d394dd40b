"""Every metric by name. To add one: write a stats function and an aggregate, register a Metric.

A stats function maps (predictions, references, **options) to one row per example and
ignores options it does not use; the aggregate maps column sums (`from_totals`) or whole
rows (`from_rows`) to the score. See harness/metrics/base.py. Code outside the harness
adds its own with `register_metric`, or from an installed package under the entry point
group `harness.metrics` (a Metric, a list of them, or a module that registers its own).
A task may name any registered metric whose input kind fits the task's kind.
"""

from __future__ import annotations

from harness.metrics import classification as cls
from harness.metrics import entities as ner
from harness.metrics import regression as reg
from harness.metrics.base import LABELS, SCORES, TAGS, Metric
from harness.registry import Registry

METRICS: Registry[Metric] = Registry("metric", "harness.metrics")


def register_metric(metric: Metric, *, replace: bool = False) -> Metric:
    return METRICS.register(metric, replace=replace)


def get_metric(name: str) -> Metric:
    return METRICS.get(name)


def metric_version(name: str) -> int:
    """The registered metric's version; 1 for a name no longer registered (as records before versions)."""
    return METRICS.get(name).version if name in METRICS else 1


# Registered in this order, which is the order task validation lists them in.
for _metric in (
    Metric("accuracy", LABELS, cls.confusion_rows, from_totals=cls.accuracy, explain=cls.explain_empty),
    Metric("f1", LABELS, cls.binary_confusion_rows, from_totals=cls.f1_binary, explain=cls.explain_f1),
    Metric("f1_macro", LABELS, cls.confusion_rows, from_totals=cls.f1_macro, explain=cls.explain_empty),
    Metric(
        "matthews_correlation",
        LABELS,
        cls.confusion_rows,
        from_totals=cls.matthews_correlation,
        explain=cls.explain_mcc,
    ),
    Metric("pearson", SCORES, reg.score_rows, from_rows=reg.pearson, explain=reg.explain_correlation),
    Metric("spearman", SCORES, reg.score_rows, from_rows=reg.spearman, explain=reg.explain_correlation),
    Metric("entity_f1", TAGS, ner.entity_rows, from_totals=ner.f1, explain=ner.explain_f1),
    Metric("entity_precision", TAGS, ner.entity_rows, from_totals=ner.precision, explain=ner.explain_precision),
    Metric("entity_recall", TAGS, ner.entity_rows, from_totals=ner.recall, explain=ner.explain_recall),
):
    register_metric(_metric)
