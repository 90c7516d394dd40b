"""Score against trainable parameters, with the Pareto front (fewer parameters, higher score)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from harness.compare.table import Comparison
from harness.errors import HarnessError

Point = tuple[float, float]  # (trainable parameters, score)


def pareto_front(points: Mapping[str, Point], *, higher_is_better: bool = True) -> list[str]:
    """The names of the points no other point beats on both axes, by increasing x.

    A point is beaten when another has at most its x and at least its score, and is
    strictly better on one of them; equal points are all on the front. Points with a
    missing (nan) coordinate are never on it.
    """
    sign = 1 if higher_is_better else -1
    finite = {name: (x, sign * y) for name, (x, y) in points.items() if math.isfinite(x) and math.isfinite(y)}

    def beaten(x: float, y: float) -> bool:
        return any(ox <= x and oy >= y and (ox < x or oy > y) for ox, oy in finite.values())

    front = [name for name, (x, y) in finite.items() if not beaten(x, y)]
    return sorted(front, key=lambda name: (finite[name][0], -finite[name][1], name))


def plot_pareto(comparison: Comparison, path: Path | str) -> Path:
    """Write a PNG of mean score (error bars: std over seeds) against trainable parameters (log x)."""
    # the Agg canvas directly: no pyplot, so no global backend switch and no GUI
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [
        row for row in comparison.rows
        if row.costs.trainable_parameters and row.costs.trainable_parameters > 0 and math.isfinite(row.mean)
    ]
    if not rows:
        raise HarnessError(
            "no method has both a score and its trainable parameters recorded, so there is nothing to plot; "
            "rerun the methods with a harness version that records costs"
        )
    points = {row.label: (float(row.costs.trainable_parameters or 0), row.mean) for row in rows}
    front = pareto_front(points, higher_is_better=comparison.higher_is_better)

    figure = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for row in rows:
        x, y = points[row.label]
        is_reference = row.label == comparison.reference
        axes.errorbar(
            [x], [y], yerr=[row.std if math.isfinite(row.std) else 0.0], fmt="s" if is_reference else "o",
            color="tab:red" if is_reference else "tab:blue", ecolor="0.6", capsize=3, markersize=6,
        )
        axes.annotate(row.label, (x, y), textcoords="offset points", xytext=(6, 6), fontsize=8)
    front_x = [points[name][0] for name in front]
    front_y = [points[name][1] for name in front]
    axes.step(front_x, front_y, where="post", color="tab:green", linewidth=1.2, label="Pareto front")
    axes.plot(front_x, front_y, "o", markersize=10, markerfacecolor="none", markeredgecolor="tab:green")
    axes.set_xscale("log")
    axes.set_xlabel("trainable parameters (log scale)")
    axes.set_ylabel(f"{comparison.metric} ({comparison.split}), mean ± std over seeds")
    axes.set_title(f"{comparison.task} · {comparison.model}: score against trainable parameters", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
