"""The scores of one evaluation, with their bootstrap intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class MetricReport:
    """values[name] is the score on all n examples; intervals[name] its bootstrap interval.

    details holds what explains the numbers: per-class counts or per-type entity scores,
    the other NER mode's headline scores, the bootstrap settings, and `notes` saying why
    a value is nan or a convention (e.g. MCC of a constant prediction).
    """

    values: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    details: dict[str, Any] = field(default_factory=dict)
    n: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only; nan becomes None (JSON has no nan)."""
        return _json_safe(
            {"values": self.values, "intervals": self.intervals, "details": self.details, "n": self.n}
        )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    return value
