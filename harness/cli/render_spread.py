"""The terminal table of a run's prompt spread: the headline metric over every variant, and per prompt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.markup import escape
from rich.table import Table


def spread_table(record: Mapping[str, Any]) -> Table:
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    section = record["prompt_spread"]
    stats = section["splits"][split][metric]
    settings = section["settings"]
    majority = ((record.get("prompting") or {}).get("majority_class") or {}).get("metrics", {}).get(split, {})
    baseline = (majority.get("values") or {}).get(metric)
    table = Table(title=f"prompt spread · {split} {metric} · {len(settings['prompts'])} prompt(s) x "
                        f"{settings['formats']} format(s) x {settings['demo_draws']} demonstration draw(s)",
                  title_justify="left",
                  caption=(f"majority class {baseline:.4f} · " if baseline is not None else "")
                  + f"{section['examples_scored']} examples scored in {section['seconds']:.1f} s "
                    f"({section['examples_per_second']} ex/s over all variants)",
                  caption_justify="left")
    for column in ("prompts", "variants", "mean ± std", "95% interval of mean", "min", "max", "spread", "worst",
                   "best"):
        table.add_column(column, justify="left" if column in ("prompts", "worst", "best") else "right")
    table.add_row("[bold]all[/]", *_cells(stats))
    for name, group in stats.get("by_prompt", {}).items():
        if len(stats.get("by_prompt", {})) > 1:
            table.add_row(escape(name), *_cells(group))
    return table


def _cells(stats: Mapping[str, Any]) -> list[str]:
    if not stats.get("variants"):
        return ["0", "–", "–", "–", "–", "–", "–", "–"]
    interval = stats.get("interval")
    return [str(stats["variants"]), f"{stats['mean']:.4f} ± {stats['std']:.4f}",
            "–" if interval is None else f"[{interval[0]:.4f}, {interval[1]:.4f}]", f"{stats['min']:.4f}",
            f"{stats['max']:.4f}", f"{stats['spread']:.4f}", escape(stats["worst"]), escape(stats["best"])]


def spread_line(record: Mapping[str, Any]) -> str | None:
    """'0.5111 ± 0.2250 over 9 variants': the mean and the spread (max - min) of the headline, when recorded."""
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    stats = (((record.get("prompt_spread") or {}).get("splits") or {}).get(split) or {}).get(metric) or {}
    if not stats.get("variants"):
        return None
    return f"{stats['mean']:.4f} ± {stats['spread']:.4f} over {stats['variants']} variants"
