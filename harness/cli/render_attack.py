"""Terminal tables of attacks: one run's attacks, and the adversarial examples side by side with the clean text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table


def _interval(value: float | None, low: float | None, high: float | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def attack_table(record: Mapping[str, Any]) -> Table:
    """Per attack on the headline split: the metric under attack, success rate, queries, share changed."""
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    report = record["attack"][split]
    spec = record["spec"]
    table = Table(title=f"attacks · {spec['task']} · {spec['model']} · {spec['method']} · {split} {metric} · budget "
                        f"{report['budget']} queries, at most {100 * report['max_share']:g}% changed",
                  title_justify="left")
    for column in ("attack", metric, "drop (clean - attacked)", "success rate", "queries", "changed", "untouchable"):
        table.add_column(column, justify="left" if column == "attack" else "right")
    table.add_row("clean", f"{report['clean'][metric]:.4f}", "", "", "", "", "")
    random_worst = (record.get("robustness") or {}).get(split, {}).get("worst_case", {}).get(metric)
    if random_worst is not None:
        table.add_row("random noise, worst case", f"{random_worst:.4f}",
                      f"{report['clean'][metric] - random_worst:+.4f}", "", "", "", "")
    for name, result in report["attacks"].items():
        values, intervals = result["metrics"]["values"], result["metrics"]["intervals"]
        rate, queries, changed = result["success_rate"], result["queries_mean"], result["changed_share_mean"]
        untouchable = result["untouchable_share"]
        table.add_row(name, _interval(values[metric], *intervals.get(metric, (None, None))),
                      f"{result['drop'][metric]:+.4f}",
                      "–" if rate["value"] is None else f"{100 * rate['value']:.1f}% [{100 * rate['low']:.1f}, "
                                                      f"{100 * rate['high']:.1f}]",
                      "–" if queries["value"] is None else f"{queries['value']:.1f}",
                      "–" if changed["value"] is None else f"{100 * changed['value']:.1f}%",
                      "–" if untouchable is None else f"{100 * untouchable:.1f}%")
    worst = report["worst_case"]
    table.add_row("[bold]worst over attacks[/]",
                  f"[bold]{_interval(worst['metrics']['values'][metric], *worst['metrics']['intervals'].get(metric, (None, None)))}[/]",
                  f"{worst['drop'][metric]:+.4f}", "", "", "", "")
    return table


def adversarial_examples(rows: Sequence[Mapping[str, Any]], clean: Mapping[str, str], limit: int) -> Table:
    """Successful attacks, the clean text beside the adversarial one, the changed words marked."""
    table = Table(title="adversarial examples (changed words in bold)", title_justify="left", show_lines=True)
    for column in ("attack", "id", "clean", "adversarial", "queries"):
        table.add_column(column, justify="right" if column == "queries" else "left")
    shown = 0
    for row in rows:
        if not row.get("success") or shown >= limit:
            continue
        changed = {position for position, _, _ in row["changes"]}
        if "words" in row:
            attacked = " ".join(f"[bold]{escape(w)}[/]" if i in changed else escape(w)
                                for i, w in enumerate(row["words"]))
        else:
            attacked = escape(row["text"])
            for _, _, new in row["changes"]:
                attacked = attacked.replace(escape(new), f"[bold]{escape(new)}[/]", 1)
        table.add_row(row["attack"], row["id"], escape(clean.get(row["id"], "")), attacked, str(row["queries"]))
        shown += 1
    return table
