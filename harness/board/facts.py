"""One figure of one record for one column, with what must match before two figures are averaged.

A figure's `version` lists what decides whether it can be averaged with another: the task
definition (its hash) and the version of the metric that scored it. Records written before
metrics had versions count as version 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.board.columns import ColumnSpec
from harness.board.sources import Source
from harness.board.suites import SuiteTask, task_score
from harness.majority import recorded_majority

Version = tuple[tuple[str, str], ...]  # (what, value) pairs, e.g. (("task definition", "432f551d"),)


@dataclass(frozen=True)
class Fact:
    value: float
    version: Version = ()
    interval: tuple[float, float] | None = None


def metric_version(record: Mapping[str, Any], metric: str) -> int:
    return int(((record.get("task") or {}).get("metric_versions") or {}).get(metric, 1))


def score_version(record: Mapping[str, Any], metrics: tuple[str, ...]) -> Version:
    task = record.get("task") or {}
    version: list[tuple[str, str]] = [("task definition", str(task.get("hash") or "unknown")[:8])]
    version += [(f"{m} version", f"v{metric_version(record, m)}") for m in metrics]
    return tuple(version)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _interval(value: Any) -> tuple[float, float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_number(v) is not None for v in value):
        return (float(value[0]), float(value[1]))
    return None


def headline(record: Mapping[str, Any]) -> tuple[str, str]:
    """(split, metric) of the record's headline."""
    return record["headline"]["split"], record["headline"]["metric"]


def run_figure(spec: ColumnSpec, run: Source) -> Fact | None:
    """The figure `spec` asks for from one run record, or None when the run has none."""
    record = run.record
    if spec.kind == "cost":
        if spec.task and spec.task != run.task:
            return None
        value = _number((record.get("costs") or {}).get(spec.name))
        return None if value is None else Fact(value)
    if spec.task != run.task:
        return None
    split, metric = headline(record)
    split, metric = spec.split or split, spec.metric or metric
    if spec.kind == "task":
        scored = (record.get("metrics") or {}).get(split) or {}
        value = _number((scored.get("values") or {}).get(metric))
        if value is None:
            return None
        return Fact(value, score_version(record, (metric,)), _interval((scored.get("intervals") or {}).get(metric)))
    if spec.kind == "robustness":
        value = _number(robustness_value(record, spec.name, split, metric))
        if value is None:
            return None
        return Fact(value, score_version(record, (metric,)), _interval(attack_interval(record, spec.name, split, metric)))
    if spec.kind == "fusion":
        return fusion_fact(record, spec.name)
    if spec.kind == "distill":
        return distill_fact(record, spec.name, split, metric)
    if spec.kind == "prompts":
        return spread_fact(record, spec.name, split, metric)
    return None


def spread_fact(record: Mapping[str, Any], name: str, split: str, metric: str) -> Fact | None:
    """prompt_mean (with the interval of the mean over variants), prompt_std, prompt_min, prompt_max, prompt_spread;
    majority_class: a classification run's (prompted or fine-tuned) score for always answering the training split's most frequent label."""
    if name == "majority_class":
        majority = (recorded_majority(record).get("metrics") or {}).get(split) or {}
        value = _number((majority.get("values") or {}).get(metric))
        return None if value is None else Fact(value, score_version(record, (metric,)))
    stats = ((((record.get("prompt_spread") or {}).get("splits") or {}).get(split) or {}).get(metric)) or {}
    value = _number(stats.get(name.removeprefix("prompt_")))
    if value is None:
        return None
    interval = _interval(stats.get("interval")) if name == "prompt_mean" else None
    return Fact(value, score_version(record, (metric,)), interval)


def distill_fact(record: Mapping[str, Any], name: str, split: str, metric: str) -> Fact | None:
    """A distilled student's teacher_score or retention (student / teacher) on `split`'s `metric`."""
    section = record.get("distill") or {}
    source = section.get("teacher_scores") if name == "teacher_score" else section.get("retention")
    value = _number(((source or {}).get(split) or {}).get(metric))
    return None if value is None else Fact(value, score_version(record, (metric,)))


def fusion_fact(record: Mapping[str, Any], name: str) -> Fact | None:
    """vs_best, vs_mean (with their intervals), p_vs_best, p_vs_mean, best_member, mean_member."""
    against = (record.get("fusion") or {}).get("against") or {}
    which = name.rsplit("_", 1)[-1] if name.startswith(("vs_", "p_vs_")) else name.split("_", 1)[0]
    test = against.get(which) or {}
    field = {"vs": "delta", "p": "p_value"}.get(name.split("_", 1)[0], "value")
    value = _number(test.get(field))
    if value is None:
        return None
    interval = _interval(test.get("interval")) if field == "delta" else None
    return Fact(value, score_version(record, (str(against.get("metric")),)), interval)


def robustness_value(record: Mapping[str, Any], name: str, split: str, metric: str) -> Any:
    """worst_case_drop, worst_case, clean, their unseen and seen versions, or a perturbation's drop, from the
    record's robustness section. A run that trained on no perturbation saw none: its unseen worst case is its
    worst case, and it has no seen one."""
    if name in ("under_attack", "under_attack_drop", "attack_success") or name.startswith("attack_"):
        return attack_value(record, name, split, metric)
    section = (record.get("robustness") or {}).get(split) or {}
    group = re.fullmatch(r"worst_case_(unseen|seen)(_drop)?", name)
    if group:
        if group.group(1) in section:
            section = section[group.group(1)]
        elif group.group(1) == "seen":
            return None
        name = "worst_case" + (group.group(2) or "")
    if name in ("worst_case_drop", "worst_case", "clean"):
        return (section.get(name) or {}).get(metric)
    return (((section.get("perturbations") or {}).get(name) or {}).get("drop") or {}).get(metric)


def attack_value(record: Mapping[str, Any], name: str, split: str, metric: str) -> Any:
    """under_attack (the worst over attacks), under_attack_drop, attack_success (the highest success rate of
    any attack) or attack_NAME (the score under one attack), from the record's attack section."""
    section = (record.get("attack") or {}).get(split) or {}
    attacks = section.get("attacks") or {}
    if name == "attack_success":
        rates = [(a.get("success_rate") or {}).get("value") for a in attacks.values()]
        rates = [rate for rate in rates if rate is not None]
        return max(rates) if rates else None
    if name == "under_attack_drop":
        return ((section.get("worst_case") or {}).get("drop") or {}).get(metric)
    found = section.get("worst_case") if name == "under_attack" else attacks.get(name.removeprefix("attack_"))
    return (((found or {}).get("metrics") or {}).get("values") or {}).get(metric)


def attack_interval(record: Mapping[str, Any], name: str, split: str, metric: str) -> Any:
    """The bootstrap interval behind under_attack or attack_NAME (the attack section keeps the task's); else None."""
    if name != "under_attack" and not (name.startswith("attack_") and name != "attack_success"):
        return None
    section = (record.get("attack") or {}).get(split) or {}
    found = section.get("worst_case") if name == "under_attack" else \
        (section.get("attacks") or {}).get(name.removeprefix("attack_"))
    return (((found or {}).get("metrics") or {}).get("intervals") or {}).get(metric)


def perturbations_recorded(run: Source, split: str | None) -> list[str]:
    section = (run.record.get("robustness") or {}).get(split or headline(run.record)[0]) or {}
    return list(section.get("perturbations") or {})


def profile_figure(spec: ColumnSpec, entry: Source) -> Fact | None:
    """The figure `spec` asks for from one variant of a profile record."""
    if spec.kind != "profile" or (spec.task and spec.task != entry.task):
        return None
    figures = entry.entry
    version: Version = (("task definition", str((entry.record.get("task") or {}).get("hash") or "unknown")[:8]),
                        ("device", str(figures.get("device") or entry.record.get("device"))))  # cpu and cuda never mix
    found = re.fullmatch(r"(latency|speedup)_b(\d+)", spec.name)
    if found:
        return _batch_figure(figures, found.group(1), int(found.group(2)), version)
    value = {
        "size_mb": (_number(figures.get("size_bytes")) or math.nan) / 1e6,
        "memory_mb": _number((figures.get("memory") or {}).get("model_and_activations_mb")),
        "throughput": _number((figures.get("throughput") or {}).get("examples_per_second")),
        "metric": _number(figures.get("metric")),
        "metric_drop": _number(figures.get("metric_drop")),
    }.get(spec.name)
    value = _number(value)
    return None if value is None else Fact(value, version)


def _batch_figure(figures: Mapping[str, Any], what: str, batch: int, version: Version) -> Fact | None:
    """Median latency (ms) or speed-up at a batch size actually run at that size (not a smaller back-off)."""
    if what == "speedup":
        value = _number((figures.get("speedup_vs_reference") or {}).get(str(batch)))
        return None if value is None else Fact(value, version)
    for timing in figures.get("latency") or []:
        if timing.get("requested") == batch and timing.get("used") == batch and timing.get("latency"):
            value = _number(timing["latency"].get("median_ms"))
            if value is not None:
                return Fact(value, version)
    return None


def suite_contribution(part: SuiteTask, run: Source) -> Fact | None:
    """What one run of a suite task contributes to the suite score (suites.task_score)."""
    if run.task != part.task:
        return None
    metrics = {split: scored.get("values") or {} for split, scored in (run.record.get("metrics") or {}).items()}
    value = task_score(part, metrics, headline(run.record)[0])
    return None if value is None else Fact(value, score_version(run.record, part.metrics))
