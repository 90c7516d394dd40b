"""A view's plots as PNG bytes: y against x with the Pareto front, and per-perturbation robustness drops.

    plots, skipped = draw_plots(board)      # [(file stem, title, png bytes)], [why a plot was left out]

matplotlib's Agg canvas is used directly (no pyplot: no global backend, no GUI) and is only
imported when a plot is drawn. The PNGs carry no metadata link, so pages embedding them
hold no external address.
"""

from __future__ import annotations

import io
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass

from harness.board.board import Board
from harness.board.facts import headline, robustness_value
from harness.board.view import PlotSpec
from harness.compare.plot import pareto_front

MAX_BARS_ROWS = 8  # rows shown in a drops plot (the first ones in the board's order)


@dataclass(frozen=True)
class Plot:
    stem: str  # a file name without extension
    title: str
    png: bytes


def _figure(width: float = 7.5, height: float = 4.8):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def short_labels(board: Board) -> dict[str, str]:
    """Row label -> the row fields that differ between rows ('lora' rather than 'minilm · lora · defaults')."""
    varying = [f for f in board.key_fields if len({row.key[f] for row in board.rows}) > 1] or list(board.key_fields)
    return {row.label: " · ".join(row.key[f] for f in varying if row.key[f]) or row.label for row in board.rows}


def _stem(board: Board, index: int, spec: PlotSpec) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{board.view.name}-{index + 1}-{spec.kind}")


def _shared_partial_means(board: Board, column) -> dict[str, float]:
    """Row label -> partial suite mean, when no row has the whole suite and every row has the same tasks:
    then the partial means compare like with like (the plot says they are partial)."""
    cells = {row.label: board.cell(row, column) for row in board.rows}
    if any(cell.value is not None or cell.partial is None or cell.partial_mean is None for cell in cells.values()):
        return {}
    if len({frozenset(cell.details or {}) for cell in cells.values()}) != 1:
        return {}
    return {label: float(cell.partial_mean) for label, cell in cells.items()}  # type: ignore[arg-type]


def _pareto(board: Board, spec: PlotSpec) -> tuple[str, bytes] | str:
    x_col, y_col = board.columns_for(spec.x or "")[:1], board.columns_for(spec.y or "")[:1]
    if not x_col or not y_col:
        return f"pareto plot of {spec.y} against {spec.x}: a column has no recorded figure"
    xc, yc = x_col[0], y_col[0]
    partial = _shared_partial_means(board, yc) if yc.spec.kind == "suite" else {}
    points, spread = {}, {}
    for row in board.rows:
        x, y = board.cell(row, xc).value, partial.get(row.label, board.cell(row, yc).value)
        if x is not None and y is not None and math.isfinite(x) and math.isfinite(y):
            points[row.label] = (x, y)
            spread[row.label] = board.cell(row, yc).std or 0.0
    log = bool(points) and all(x > 0 for x, _ in points.values())
    log = log and max(x for x, _ in points.values()) / min(x for x, _ in points.values()) > 20
    if len(points) < 2:
        return f"pareto plot of {yc.label} against {xc.label}: fewer than 2 rows have both"
    sign = -1 if xc.higher_is_better else 1  # the front wants lower x better
    front = pareto_front({k: (sign * x, y) for k, (x, y) in points.items()}, higher_is_better=yc.higher_is_better)
    figure = _figure()
    axes = figure.add_subplot()
    xs, ys = zip(*points.values())
    axes.errorbar(xs, ys, yerr=list(spread.values()), fmt="o", color="tab:blue", ecolor="0.6", capsize=3,
                  markersize=6, label="rows (error bars: std over seeds)")
    short = short_labels(board)
    for name, (x, y) in points.items():
        axes.annotate(short[name], (x, y), textcoords="offset points", xytext=(5, 5), fontsize=7)
    front_points = sorted((points[name] for name in front), key=lambda p: p[0])
    axes.plot([p[0] for p in front_points], [p[1] for p in front_points], "-o", color="tab:green", linewidth=1.3,
              markerfacecolor="none", markersize=11, label="Pareto front")
    if log:
        axes.set_xscale("log")
    axes.set_xlabel(f"{xc.label}{' (log scale)' if log else ''} {'↑' if xc.higher_is_better else '↓'}")
    y_label = yc.label
    if partial:
        coverage = board.cell(board.rows[0], yc).partial
        y_label = f"{yc.label} (partial: {coverage}, the same in every row)"
    axes.set_ylabel(f"{y_label} {'↑' if yc.higher_is_better else '↓'}")
    title = spec.title or f"{y_label} against {xc.label}"
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    return title, _png(figure)


def perturbation_drops(board: Board, task: str, metric: str | None, split: str | None) -> dict[str, dict[str, float]]:
    """Row label -> perturbation -> mean drop over the row's runs of `task` (clean minus perturbed)."""
    out: dict[str, dict[str, float]] = {}
    for row in board.rows:
        drops: dict[str, list[float]] = defaultdict(list)
        for run in row.sources:
            if run.kind != "run" or run.task != task or not run.record.get("robustness"):
                continue
            head_split, head_metric = headline(run.record)
            section = run.record["robustness"].get(split or head_split) or {}
            for name in section.get("perturbations") or {}:
                value = robustness_value(run.record, name, split or head_split, metric or head_metric)
                if isinstance(value, (int, float)) and math.isfinite(value):
                    drops[name].append(float(value))
        if drops:
            out[row.label] = {name: statistics.fmean(values) for name, values in sorted(drops.items())}
    return out


def _drops(board: Board, spec: PlotSpec) -> tuple[str, bytes] | str:
    task = board.plot_tasks.get(spec.task or "", spec.task or "")
    by_row = perturbation_drops(board, task, spec.metric, spec.split)
    if not by_row:
        return f"robustness drops of {task}: no run of it recorded with --perturb"
    shown = list(by_row)[:MAX_BARS_ROWS]
    short = short_labels(board)
    names = sorted({name for row in shown for name in by_row[row]})
    figure = _figure(8, max(3.5, 0.32 * len(names) * max(1, len(shown)) ** 0.5 + 1.5))
    axes = figure.add_subplot()
    height = 0.8 / len(shown)
    for i, row in enumerate(shown):
        positions = [j + (i - (len(shown) - 1) / 2) * height for j in range(len(names))]
        axes.barh(positions, [by_row[row].get(name, math.nan) for name in names], height=height, label=short[row])
    axes.set_yticks(range(len(names)), names, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(0, color="0.3", linewidth=0.8)
    axes.set_xlabel(f"drop in {spec.metric or 'the headline metric'} (clean minus perturbed) ↓")
    title = spec.title or f"{task}: score lost under each perturbation"
    axes.set_title(title, fontsize=10)
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(loc="best", fontsize=7)
    figure.tight_layout()
    return title, _png(figure)


def draw_plots(board: Board) -> tuple[list[Plot], list[str]]:
    """Every plot of the view that has something to show, and a reason for each left out."""
    plots, skipped = [], []
    for index, spec in enumerate(board.view.plots):
        drawn = _pareto(board, spec) if spec.kind == "pareto" else _drops(board, spec)
        if isinstance(drawn, str):
            skipped.append(drawn)
        else:
            plots.append(Plot(_stem(board, index, spec), *drawn))
    return plots, skipped
