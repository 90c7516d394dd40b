"""Leaderboard columns: what a view's `columns:` entries may ask for, checked, labelled and formatted.

Eight kinds, one key each names the figure:
  task: sst2 [metric: f1] [split: validation]      a task's score (default: its headline metric and split)
  cost: trainable_share                            a run's recorded cost [task: sst2 to pin one task]
  robustness: worst_case_drop, task: sst2          a robustness figure (or a perturbation's drop; globs ok)
  profile: latency_b1 [task: sst2]                 a figure of `harness profile` records, per variant
  suite: glue                                      a suite score computed the official way (suites.py)
  fusion: vs_best, task: sst2                      an ensemble's or merge's paired test against its members
  distill: retention, task: sst2                   a distilled student's teacher score or retention
  prompts: prompt_mean, task: sst2                 the spread of a prompted score over prompt variants
Every column may set `label:` (its header and the name `sort:` and plots refer to).
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from harness.board.suites import SUITES
from harness.compare import units
from harness.errors import HarnessError, unknown_name

KINDS = ("task", "cost", "robustness", "profile", "suite", "fusion", "distill", "prompts")

# cost name -> higher is better
COSTS: dict[str, bool] = {
    "trainable_share": False, "trainable_parameters": False, "deploy_bytes": False, "train_seconds": False,
    "train_examples_per_second": True, "peak_train_memory_mb": False, "inference_examples_per_second": True,
    "total_parameters": False,
}
# an ensemble's or merge's figures against its members (the record's fusion.against): the difference to the
# best (by selection score) and to the mean member, its p-value, and those members' scores
FUSION = {"vs_best": True, "vs_mean": True, "p_vs_best": False, "p_vs_mean": False, "best_member": True,
          "mean_member": True}
# a distilled student's teacher's score and the student's share of it (the record's distill section)
DISTILL = {"teacher_score": True, "retention": True}
# a prompted run's spread over prompt variants (the record's prompt_spread section; harness.prompt_spread): the
# mean over variants (with the interval of the mean), their standard deviation, extremes and max - min
PROMPTS = {"prompt_mean": True, "prompt_std": False, "prompt_min": True, "prompt_max": True, "prompt_spread": False,
           "majority_class": True}  # and any prompted run's majority-class baseline, to read the others against
# robustness figures besides a perturbation's name: worst_case_drop (clean minus worst case), the scores; the
# worst case over the perturbations a run did not train on (all of them for a run without augmentation) and
# over those it did (augmented runs only)
# over attacks (runs with --attack): the score under the worst attack per example, its drop from clean, the
# highest success rate of any attack, and `attack_NAME` the score under one attack
ROBUSTNESS = {"worst_case_drop": False, "worst_case": True, "clean": True, "worst_case_unseen": True,
              "worst_case_unseen_drop": False, "worst_case_seen": True, "worst_case_seen_drop": False,
              "under_attack": True, "under_attack_drop": False, "attack_success": False}
ATTACK_PREFIX = "attack_"
# profile figures: latency_bN and speedup_bN take any batch size N that the profile measured
PROFILE = {"size_mb": False, "memory_mb": False, "throughput": True, "metric": True, "metric_drop": False}
PROFILE_PATTERNS = {r"latency_b(\d+)": False, r"speedup_b(\d+)": True}
PROFILE_NAMES = ("latency_b1", "latency_b32", "speedup_b1", "speedup_b32", *PROFILE)

_KEYS = {  # keys each kind accepts besides its own
    "task": {"metric", "split", "label"},
    "cost": {"task", "label"},
    "robustness": {"task", "metric", "split", "label"},
    "profile": {"task", "label"},
    "suite": {"label"},
    "fusion": {"task", "label"},
    "distill": {"task", "metric", "split", "label"},
    "prompts": {"task", "metric", "split", "label"},
}


@dataclass(frozen=True)
class ColumnSpec:
    kind: str  # one of KINDS
    name: str  # the task, cost, robustness figure, profile figure or suite
    task: str | None = None  # the task a cost/robustness/profile column reads (a task column: = name)
    metric: str | None = None  # None: the task's headline metric
    split: str | None = None  # None: the task's headline split
    label: str = ""

    @property
    def higher_is_better(self) -> bool:
        if self.kind == "cost":
            return COSTS[self.name]
        if self.kind == "robustness":
            if self.name.startswith(ATTACK_PREFIX) and self.name not in ROBUSTNESS:
                return True  # the score under one attack
            return ROBUSTNESS.get(self.name, False)  # a perturbation's drop: lower is better
        if self.kind == "profile":
            return profile_direction(self.name)
        if self.kind == "fusion":
            return FUSION[self.name]
        if self.kind == "distill":
            return DISTILL[self.name]
        if self.kind == "prompts":
            return PROMPTS[self.name]
        return True  # scores and suite scores; every registered metric is higher-is-better

    @property
    def is_glob(self) -> bool:
        return self.kind == "robustness" and any(ch in self.name for ch in "*?[")


def profile_direction(name: str) -> bool:
    if name in PROFILE:
        return PROFILE[name]
    for pattern, higher in PROFILE_PATTERNS.items():
        if re.fullmatch(pattern, name):
            return higher
    raise unknown_name("profile figure", name, PROFILE_NAMES)


def default_label(spec: ColumnSpec) -> str:
    if spec.kind == "suite":
        return SUITES[spec.name].title if spec.name in SUITES else f"{spec.name} score"
    if spec.kind == "task":
        parts = [spec.name, spec.metric or "", f"({spec.split})" if spec.split else ""]
        return " ".join(p for p in parts if p)
    if spec.kind in ("robustness", "fusion", "distill", "prompts"):
        parts = [spec.task or "", spec.name, spec.metric or "", f"({spec.split})" if spec.split else ""]
        return " ".join(p for p in parts if p)
    return f"{spec.task} {spec.name}" if spec.task else spec.name


def parse_column(raw: Any, where: str) -> ColumnSpec:
    """One `columns:` entry, checked for shape and for names that need no records (costs, figures, suites)."""
    if isinstance(raw, str):
        raw = {"task": raw}  # a bare name is a task score
    if not isinstance(raw, Mapping):
        raise HarnessError(f"{where}: expected a mapping such as {{task: sst2}} or {{cost: trainable_share}}, "
                           f"found {raw!r}")
    kinds = [kind for kind in KINDS[1:] if kind in raw] or (["task"] if "task" in raw else [])
    if len(kinds) != 1:
        raise HarnessError(f"{where}: name exactly one of {', '.join(KINDS)} (found {', '.join(raw) or 'none'})")
    kind = kinds[0]
    unknown = sorted(set(raw) - {kind} - _KEYS[kind])
    if unknown:
        raise HarnessError(f"{where}: unknown key {', '.join(unknown)} for a {kind} column "
                           f"(valid: {', '.join(sorted({kind} | _KEYS[kind]))})")
    values = {key: raw[key] for key in raw}
    for key, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise HarnessError(f"{where}: {key} must be a non-empty string, found {value!r}")
    name = values[kind].strip()
    if kind == "cost" and name not in COSTS:
        raise unknown_name("cost", name, COSTS)
    if kind == "suite" and name not in SUITES:
        raise unknown_name("suite", name, SUITES)
    if kind == "profile":
        profile_direction(name)
    if kind == "fusion" and name not in FUSION:
        raise unknown_name("fusion figure", name, FUSION)
    if kind == "distill" and name not in DISTILL:
        raise unknown_name("distillation figure", name, DISTILL)
    if kind == "prompts" and name not in PROMPTS:
        raise unknown_name("prompt spread figure", name, PROMPTS)
    if kind in ("robustness", "fusion", "distill", "prompts") and "task" not in values:
        raise HarnessError(f"{where}: a {kind} column needs the task it reads, e.g. "
                           f"{{{kind}: {name}, task: sst2}}")
    spec = ColumnSpec(kind=kind, name=name, task=name if kind == "task" else values.get("task"),
                      metric=values.get("metric"), split=values.get("split"))
    return replace(spec, label=values.get("label") or default_label(spec))


def expand_perturbations(spec: ColumnSpec, recorded: list[str]) -> list[ColumnSpec]:
    """A robustness column naming a glob: one column per recorded perturbation it matches, in name order."""
    names = sorted(name for name in recorded if fnmatch.fnmatchcase(name, spec.name))
    return [replace(spec, name=name, label=default_label(replace(spec, name=name))) for name in names]


def formatter(spec: ColumnSpec) -> Callable[[float], str]:
    """How a column's values read: scores with 4 decimals, costs in human units."""
    if spec.kind == "cost":
        return {
            "trainable_share": units.share, "trainable_parameters": units.count, "deploy_bytes": units.size_bytes,
            "train_seconds": units.seconds, "peak_train_memory_mb": units.memory_mb, "total_parameters": units.count,
        }.get(spec.name, units.rate)
    if spec.kind == "fusion" and spec.name.startswith("p_"):
        return lambda v: "< 0.001" if v == 0 else f"{v:.3g}"  # 0: below the resolution of 1,000 resamples
    if spec.kind == "distill" and spec.name == "retention":
        return lambda v: f"{v:.1%}" if math.isfinite(v) else units.MISSING
    if spec.kind == "fusion" and spec.name.startswith("vs_"):
        return lambda v: f"{v:+.4f}" if math.isfinite(v) else units.MISSING
    if spec.kind == "profile":
        if spec.name.startswith("latency_b"):
            return lambda v: f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"
        if spec.name.startswith("speedup_b"):
            return lambda v: f"{v:.2f}x"
        if spec.name in ("size_mb", "memory_mb"):
            return lambda v: f"{v:.1f} MB"
        if spec.name == "throughput":
            return units.rate
    return score


def score(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else units.MISSING


def is_score(spec: ColumnSpec) -> bool:
    """Scores (and drops of scores) read with their std over seeds; costs read as plain means."""
    return formatter(spec) is score
