"""How much each metric may drop before a significant drop fails the gate.

A tolerance is an absolute drop in the metric's own units (accuracy 0.005 = half a point),
measured in the metric's bad direction. Keys: a metric name ("accuracy"), a task and a
metric ("conll2003/entity_f1", more specific, wins), or "default" for everything else.
Given as `--tolerance KEY=DROP` flags and/or a YAML mapping file; flags win over the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, unknown_name
from harness.metrics import METRICS
from harness.yaml_file import YamlFile, read_mapping

DEFAULT_KEY = "default"
TOLERANCES_FILE = YamlFile(
    name="--tolerances {path}",
    holds="a mapping of metric -> allowed drop (e.g. `accuracy: 0.005`)",
    if_unreadable="pass a YAML file mapping metric -> allowed drop",
    if_invalid="write one `metric: drop` per line, e.g. `accuracy: 0.005`",
    empty_is_mapping=True,  # an empty file: no tolerances beyond the flags
)


@dataclass(frozen=True)
class Tolerances:
    default: float = 0.0
    by_metric: dict[str, float] = field(default_factory=dict)
    by_task_metric: dict[tuple[str, str], float] = field(default_factory=dict)

    def allowed_drop(self, task: str, metric: str) -> float:
        if (task, metric) in self.by_task_metric:
            return self.by_task_metric[(task, metric)]
        return self.by_metric.get(metric, self.default)

    def to_dict(self) -> dict[str, float]:
        return {DEFAULT_KEY: self.default, **self.by_metric,
                **{f"{task}/{metric}": drop for (task, metric), drop in self.by_task_metric.items()}}


def _drop(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HarnessError(f"{where}: tolerance of {key} is {value!r}; give an allowed drop as a number, "
                           "e.g. accuracy=0.005")
    if not math.isfinite(value) or value < 0:
        raise HarnessError(f"{where}: tolerance of {key} is {value}; give a drop of 0 or more (a positive number "
                           "allows that much loss in the metric's bad direction)")
    return float(value)


def _merge(into: dict[str, float], entries: Mapping[str, Any], where: str) -> None:
    for key, value in entries.items():
        key = str(key).strip()
        metric = key.rpartition("/")[2]
        if key != DEFAULT_KEY and metric not in METRICS:
            raise HarnessError(f"{where}: {unknown_name('metric', metric, [*METRICS, DEFAULT_KEY])}")
        into[key] = _drop(value, key, where)


def parse_flag(text: str) -> tuple[str, float]:
    """'accuracy=0.005' -> ("accuracy", 0.005)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise HarnessError(f"--tolerance {text!r}: expected METRIC=DROP (e.g. accuracy=0.005, "
                           "conll2003/entity_f1=0.01, default=0)")
    try:
        number = float(value)
    except ValueError:
        raise HarnessError(f"--tolerance {text!r}: {value.strip()!r} is not a number; expected METRIC=DROP "
                           "(e.g. accuracy=0.005)") from None
    return key.strip(), number


def build_tolerances(flags: Sequence[str] = (), file: Path | None = None) -> Tolerances:
    """Tolerances from a YAML file, then flags on top; every key and value checked."""
    entries: dict[str, float] = {}
    if file is not None:
        _merge(entries, read_mapping(file, TOLERANCES_FILE), f"--tolerances {file}")
    _merge(entries, dict(parse_flag(flag) for flag in flags), "--tolerance")
    default = entries.pop(DEFAULT_KEY, 0.0)
    by_metric = {key: drop for key, drop in entries.items() if "/" not in key}
    by_task_metric = {tuple(key.rsplit("/", 1)): drop for key, drop in entries.items() if "/" in key}
    return Tolerances(default, by_metric, by_task_metric)  # type: ignore[arg-type]
