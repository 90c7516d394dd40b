"""A leaderboard cell: figures of the runs of one row, aggregated over seeds with their spread.

One run: its value and the bootstrap interval it recorded (examples resampled). Several
runs (seeds): their mean (or median), the sample std and a 95% t-interval of the mean over
seeds. Figures of different versions never meet here: the caller groups by version first.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from scipy import stats

from harness.board.facts import Fact, Version


@dataclass
class Cell:
    value: float | None  # None: nothing to rank (no figure, or a partial suite score)
    std: float | None = None  # sample std over runs (None with one run)
    n: int = 0  # runs (seeds) aggregated
    values: tuple[float, ...] = ()  # each run's figure (suite: each shared seed's score)
    run_ids: tuple[str, ...] = ()
    interval: tuple[float, float] | None = None
    interval_kind: str = ""  # what the interval is, for hovers and json
    partial: str | None = None  # suite scores: "7/9 tasks" when tasks are missing
    partial_mean: float | None = None  # suite: the mean over the tasks present (never ranked)
    note: str | None = None  # why there is no value
    details: dict[str, float] = field(default_factory=dict)  # suite: each task's score

    @property
    def shown(self) -> bool:
        return self.value is not None or self.partial is not None or self.note is not None


def aggregate(facts: Sequence[tuple[Fact, str]], how: str = "mean") -> Cell:
    """Facts with their run ids -> one cell; `how` is "mean" or "median"."""
    values = tuple(fact.value for fact, _ in facts)
    run_ids = tuple(run_id for _, run_id in facts)
    if len(values) == 1:
        interval = facts[0][0].interval
        return Cell(values[0], None, 1, values, run_ids, interval, "95% bootstrap over examples" if interval else "")
    center = statistics.fmean(values) if how == "mean" else statistics.median(values)
    std = statistics.stdev(values)
    return Cell(center, std, len(values), values, run_ids, t_interval(values), "95% t-interval of the mean over runs")


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    mean, std = statistics.fmean(values), statistics.stdev(values)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1)) * std / math.sqrt(len(values))
    return (mean - half, mean + half)


def version_reasons(versions: Sequence[Version]) -> list[str]:
    """For versions that differ, what tells each apart: 'task definition 432f551d', 'accuracy version v2'."""
    names = list(dict.fromkeys(name for version in versions for name, _ in version))
    differing = [name for name in names if len({dict(v).get(name) for v in versions}) > 1]
    return [", ".join(f"{name} {dict(v).get(name, 'none')}" for name in differing) for v in versions]
