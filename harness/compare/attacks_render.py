"""A comparison under attack as a terminal table and markdown."""

from __future__ import annotations

import math

from rich.table import Table

from harness.compare.attacks import AttackComparison, AttackRow
from harness.compare.remedies_render import delta_text, score_text


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
    return [[row.label, ",".join(map(str, row.seeds)), score_text(row.clean), score_text(row.random_worst),
             delta_text(row.random_worst, n_boot), score_text(row.under_attack), delta_text(row.under_attack, n_boot),
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
