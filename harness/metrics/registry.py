"""Every metric by name. To add one: write a stats function and an aggregate, add a line.

A stats function maps (predictions, references, **options) to one row per example and
ignores options it does not use; the aggregate maps column sums (`from_totals`) or whole
rows (`from_rows`) to the score. See harness/metrics/base.py. Code outside the harness
adds its own with `register_metric`.
"""

from __future__ import annotations

from harness.errors import unknown_name
from harness.metrics import classification as cls
from harness.metrics import entities as ner
from harness.metrics import regression as reg
from harness.metrics.base import LABELS, SCORES, TAGS, Metric

METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric, *, replace: bool = False) -> Metric:
    if metric.name in METRICS and not replace:
        raise ValueError(f"a metric named {metric.name} is already registered")
    METRICS[metric.name] = metric
    return metric


def get_metric(name: str) -> Metric:
    if name not in METRICS:
        raise unknown_name("metric", name, METRICS)
    return METRICS[name]


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

# Bump a metric's version when a change to its computation moves scores: leaderboards never
# average runs scored by different versions (records keep them in task.metric_versions).
# A metric not listed here, and a record written before versions existed, count as version 1.
METRIC_VERSION: dict[str, int] = {name: 1 for name in METRICS}


def metric_version(name: str) -> int:
    return METRIC_VERSION.get(name, 1)
