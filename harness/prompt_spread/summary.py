"""The spread of a metric over prompt variants: mean, standard deviation, extremes and the interval of the mean.

    spread_stats({"default/as-written": 0.61, "cloze/as-written": 0.55, ...})
    # {"variants": 30, "mean": ..., "std": ..., "min": ..., "max": ..., "spread": max - min,
    #  "interval": [low, high] (95%, Student's t over variants), "best": name, "worst": name}

The interval is over variants, treating them as a sample of the ways the task could have
been asked: it says how well the mean is known, not how wide the spread is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def spread_stats(scores: Mapping[str, float], higher_is_better: bool = True) -> dict[str, Any]:
    """Summary of one metric's score per variant (finite scores only; NaN for undefined ones are left out)."""
    finite = {name: float(value) for name, value in scores.items() if value is not None and math.isfinite(value)}
    if not finite:
        return {"variants": 0, "undefined": len(scores)}
    values = np.asarray(list(finite.values()))
    n = len(values)
    std = float(values.std(ddof=1)) if n > 1 else 0.0
    mean = float(values.mean())
    interval = None
    if n > 1:
        half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1)) * std / math.sqrt(n)
        interval = [mean - half, mean + half]
    ranked = sorted(finite, key=lambda name: finite[name], reverse=higher_is_better)
    return {"variants": n, "mean": mean, "std": std, "min": float(values.min()), "max": float(values.max()),
            "spread": float(values.max() - values.min()), "interval": interval, "best": ranked[0],
            "worst": ranked[-1], **({"undefined": len(scores) - n} if len(scores) > n else {})}


def by_group(scores: Mapping[str, float], group_of, higher_is_better: bool = True) -> dict[str, dict[str, Any]]:
    """spread_stats within each group of variants (`group_of(name)`: its prompt, say)."""
    groups: dict[str, dict[str, float]] = {}
    for name, value in scores.items():
        groups.setdefault(group_of(name), {})[name] = value
    return {group: spread_stats(values, higher_is_better) for group, values in groups.items()}
