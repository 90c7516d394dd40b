"""A remedy comparison as a terminal table, markdown and a plot of clean score against worst-case score."""

from __future__ import annotations

import math
from pathlib import Path

from rich.table import Table

from harness.compare import units
from harness.compare.remedies import RemedyComparison, RemedyRow, Scored


def score_text(scored: Scored | None) -> str:
    if scored is None:
        return "-"
    spread = f" ± {scored.std:.4f}" if math.isfinite(scored.std) else ""
    return f"{scored.mean:.4f}{spread}"


def delta_text(scored: Scored | None, n_boot: int) -> str:
    if scored is None or scored.paired is None:
        return ""
    paired = scored.paired
    return (f"{units.signed(paired.delta)} {units.interval(paired.interval)} p {units.p_value(paired.p_value, n_boot)}"
            f" (reference {scored.reference_mean:.4f})")


def _cost(row: RemedyRow, reference: RemedyRow) -> str:
    if not (math.isfinite(row.seconds_per_step) and math.isfinite(reference.seconds_per_step)):
        return "-"
    return f"{row.seconds_per_step:.3f} s ({row.seconds_per_step / reference.seconds_per_step:.2f}x)"


HEADERS = ("remedy", "seeds", "clean", "vs none", "worst unseen", "vs none (same noise)", "worst seen",
           "train", "per step")


def _cells(comparison: RemedyComparison) -> list[list[str]]:
    reference = comparison.rows[0]
    return [[row.label, ",".join(map(str, row.seeds)), score_text(row.clean), delta_text(row.clean, comparison.n_boot),
             score_text(row.unseen), delta_text(row.unseen, comparison.n_boot), score_text(row.seen),
             units.seconds(row.train_seconds), _cost(row, reference)] for row in comparison.rows]


def _title(comparison: RemedyComparison) -> str:
    return (f"remedies · {comparison.model} · {comparison.task} · {comparison.split} {comparison.metric} "
            f"(reference {comparison.reference}; paired bootstrap over examples and seeds)")


def rich_remedy_tables(comparison: RemedyComparison) -> list[Table]:
    main = Table(title=_title(comparison))
    for header in HEADERS:
        main.add_column(header, justify="left" if header == "remedy" else "right")
    for cells in _cells(comparison):
        main.add_row(*cells)
    drops = Table(title=f"drop from clean per perturbation ({comparison.metric}, mean over seeds; * trained on)")
    drops.add_column("perturbation")
    for row in comparison.rows:
        drops.add_column(row.label, justify="right")
    for name in comparison.perturbations:
        drops.add_row(name, *[_drop(row, name) for row in comparison.rows])
    return [main, drops]


def _drop(row: RemedyRow, name: str) -> str:
    value = row.drops.get(name)
    return "-" if value is None else f"{value:+.4f}{' *' if name in row.seen_names else ''}"


def remedy_markdown(comparison: RemedyComparison) -> str:
    lines = [f"### {_title(comparison)}", "", "| " + " | ".join(HEADERS) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in _cells(comparison)]
    lines += ["", f"Drop from clean per perturbation ({comparison.metric}, mean over seeds; * trained on):", "",
              "| perturbation | " + " | ".join(row.label for row in comparison.rows) + " |",
              "|---|" + "---:|" * len(comparison.rows)]
    lines += [f"| {name} | " + " | ".join(_drop(row, name) for row in comparison.rows) + " |"
              for name in comparison.perturbations]
    return "\n".join(lines) + "\n"


def plot_remedies(comparison: RemedyComparison, path: Path | str) -> Path:
    """PNG: mean clean score against mean worst case over unseen perturbations, one point per remedy."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for row in comparison.rows:
        if row.unseen is None:
            continue
        is_reference = row.label == comparison.reference
        axes.errorbar([row.clean.mean], [row.unseen.mean], xerr=[_finite(row.clean.std)],
                      yerr=[_finite(row.unseen.std)], fmt="s" if is_reference else "o",
                      color="tab:red" if is_reference else "tab:blue", ecolor="0.6", capsize=3)
        axes.annotate(row.label, (row.clean.mean, row.unseen.mean), textcoords="offset points", xytext=(6, 6),
                      fontsize=8)
    axes.set_xlabel(f"clean {comparison.metric}")
    axes.set_ylabel(f"worst case over unseen perturbations ({comparison.metric})")
    axes.set_title(f"{comparison.model} · {comparison.task}: robustness against clean score", fontsize=10)
    axes.grid(alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, bbox_inches="tight")
    return path


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0
