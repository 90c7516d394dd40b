"""The terminal table of a run's prompt spread: the headline metric over every variant, and per prompt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table

from harness.majority import recorded_majority


def spread_table(record: Mapping[str, Any]) -> Table:
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    section = record["prompt_spread"]
    stats = section["splits"][split][metric]
    settings = section["settings"]
    majority = recorded_majority(record).get("metrics", {}).get(split, {})
    baseline = (majority.get("values") or {}).get(metric)
    table = Table(title=f"prompt spread · {split} {metric} · {len(settings['prompts'])} prompts x "
                        f"{settings['formats']} formats x {settings['demo_draws']} demonstration draws",
                  title_justify="left", box=box.SIMPLE_HEAD,
                  caption=(f"majority class {baseline:.4f} · " if baseline is not None else "")
                  + f"{section['examples_scored']} examples scored in {section['seconds']:.1f} s "
                    f"({section['examples_per_second']} ex/s over all variants)",
                  caption_justify="left")
    for column in ("prompts", "n", "mean [95% interval]", "std", "min", "max", "spread"):
        table.add_column(column, justify="left" if column == "prompts" else "right", no_wrap=column != "prompts",
                         min_width=11 if column == "prompts" else None)
    table.add_row("[bold]all[/]", *_cells(stats))
    groups = stats.get("by_prompt", {})
    for name, group in groups.items() if len(groups) > 1 else ():
        table.add_row(escape(name), *_cells(group))
    table.caption += f"\nworst: {escape(stats.get('worst', '–'))}\nbest: {escape(stats.get('best', '–'))}"
    return table


def _cells(stats: Mapping[str, Any]) -> list[str]:
    if not stats.get("variants"):
        return ["0", "–", "–", "–", "–", "–"]
    interval = stats.get("interval")
    mean = f"{stats['mean']:.4f}" + ("" if interval is None else f" [{interval[0]:.4f}, {interval[1]:.4f}]")
    return [str(stats["variants"]), mean, f"{stats['std']:.4f}", f"{stats['min']:.4f}", f"{stats['max']:.4f}",
            f"{stats['spread']:.4f}"]


def spread_line(record: Mapping[str, Any]) -> str | None:
    """'0.5111 ± 0.2250 over 9 variants': the mean and the spread (max - min) of the headline, when recorded."""
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    stats = (((record.get("prompt_spread") or {}).get("splits") or {}).get(split) or {}).get(metric) or {}
    if not stats.get("variants"):
        return None
    return f"{stats['mean']:.4f} ± {stats['spread']:.4f} over {stats['variants']} variants"
