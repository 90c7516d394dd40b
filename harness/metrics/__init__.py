"""Offline metrics with bootstrap confidence intervals.

    report = evaluate(["accuracy", "f1"], predictions, references)
    report.values["f1"], report.intervals["f1"], report.to_dict()

Each metric is computed from per-example rows (`example_stats`), so intervals and paired
comparisons resample rows instead of re-scoring inputs. Add a metric in registry.py, or from
your own code with `register_metric` (a task may then name it in `metrics:`).
"""

from harness.metrics.base import INPUT_KINDS, LABELS, SCORES, TAGS, Metric
from harness.metrics.bootstrap import bootstrap_values, percentile_interval, resample_indices
from harness.metrics.compute import evaluate, example_stats
from harness.metrics.registry import METRICS, get_metric, register_metric
from harness.metrics.report import MetricReport

__all__ = [
    "INPUT_KINDS",
    "LABELS",
    "METRICS",
    "SCORES",
    "TAGS",
    "Metric",
    "MetricReport",
    "bootstrap_values",
    "evaluate",
    "example_stats",
    "get_metric",
    "percentile_interval",
    "register_metric",
    "resample_indices",
]
