"""A comparison under attack as a terminal table and markdown."""

from __future__ import annotations

import math

from rich.table import Table

from harness.compare import units
from harness.compare.attacks import AttackComparison, AttackRow
from harness.compare.remedies import Scored


def _score(scored: Scored | None) -> str:
    if scored is None:
        return "-"
    spread = f" ± {scored.std:.4f}" if math.isfinite(scored.std) else ""
    return f"{scored.mean:.4f}{spread}"


def _delta(scored: Scored | None, n_boot: int) -> str:
    if scored is None or scored.paired is None:
        return ""
    paired = scored.paired
    return (f"{units.signed(paired.delta)} {units.interval(paired.interval)} p {units.p_value(paired.p_value, n_boot)}"
            f" (reference {scored.reference_mean:.4f})")


def _attack(row: AttackRow, name: str) -> str:
    score, rate, queries = row.by_attack[name], row.success[name], row.queries[name]
    if not math.isfinite(score):
        return "-"
    rate_text = "-" if not math.isfinite(rate) else f"{100 * rate:.0f}%"
    queries_text = "-" if not math.isfinite(queries) else f"{queries:.0f}"
    return f"{score:.4f} ({rate_text}, {queries_text} q)"


def _headers(comparison: AttackComparison) -> list[str]:
    return ["run", "seeds", "clean", "random worst case", "vs reference", "under attack", "vs reference",
            *[f"{name} (success, queries)" for name in comparison.attacks]]


def _cells(comparison: AttackComparison) -> list[list[str]]:
    n_boot = comparison.n_boot
    return [[row.label, ",".join(map(str, row.seeds)), _score(row.clean), _score(row.random_worst),
             _delta(row.random_worst, n_boot), _score(row.under_attack), _delta(row.under_attack, n_boot),
             *[_attack(row, name) for name in comparison.attacks]] for row in comparison.rows]


def _title(comparison: AttackComparison) -> str:
    return (f"under attack · {comparison.model} · {comparison.task} · {comparison.split} {comparison.metric} "
            f"(budget {comparison.budget} queries, at most {100 * comparison.max_share:g}% changed; reference "
            f"{comparison.reference}; paired bootstrap over examples and seeds)")


def rich_attack_table(comparison: AttackComparison) -> Table:
    table = Table(title=_title(comparison))
    for header in _headers(comparison):
        table.add_column(header, justify="left" if header == "run" else "right")
    for cells in _cells(comparison):
        table.add_row(*cells)
    return table


def attack_markdown(comparison: AttackComparison) -> str:
    headers = _headers(comparison)
    lines = [f"### {_title(comparison)}", "", "| " + " | ".join(headers) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in _cells(comparison)]
    return "\n".join(lines) + "\n"
