"""A combination against its members on the headline metric: paired bootstrap on the same examples.

    against = against_members(metric, combined_rows, {run_id: rows}, chosen_by_selection)

"best" is the member a user would have picked without looking at the reported split: the
highest selection score (the headline on the reported split when a member has none, which
flatters the member and is said so). "mean" is the members' average, resample by resample.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from harness.compare.stats import paired_delta, resample, two_sided_p
from harness.metrics import Metric, percentile_interval


def against_members(metric: Metric, combined: np.ndarray, members: Mapping[str, np.ndarray],
                    selection_scores: Mapping[str, float | None], *, n_boot: int, seed: int = 0,
                    confidence: float = 0.95) -> dict[str, Any]:
    """{'best': {...}, 'mean': {...}}: delta (combined - member), its interval, p-value, the members' scores."""
    scored = {run_id: resample(metric, rows, n_boot=n_boot, seed=seed) for run_id, rows in members.items()}
    mine = resample(metric, combined, n_boot=n_boot, seed=seed)
    by_selection = all(score is not None for score in selection_scores.values())
    sign = 1 if metric.higher_is_better else -1
    rank = selection_scores if by_selection else {run_id: r.value for run_id, r in scored.items()}
    best = max(rank, key=lambda run_id: (sign * rank[run_id], run_id))
    paired = paired_delta({0: scored[best]}, {0: mine}, confidence=confidence)
    mean_resamples = np.mean([r.resamples for r in scored.values()], axis=0)
    mean_value = float(np.mean([r.value for r in scored.values()]))
    deltas = mine.resamples - mean_resamples
    return {
        "metric": metric.name, "value": mine.value, "n_boot": n_boot,
        "members": {run_id: r.value for run_id, r in scored.items()},
        "best": {"run_id": best, "chosen_by": "selection score" if by_selection else "reported score",
                 "value": scored[best].value, "delta": paired.delta, "interval": list(paired.interval),
                 "p_value": paired.p_value},
        "mean": {"value": mean_value, "delta": mine.value - mean_value,
                 "interval": list(percentile_interval(deltas, confidence)), "p_value": two_sided_p(deltas)},
    }

