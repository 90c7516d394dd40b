"""The terminal summary of an ensemble or a merge: its score, each member's, the paired tests, the cost."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_fusion_summary(record: dict, path: Path, skipped: bool) -> None:
    console = Console()
    fusion, headline = record["fusion"], record["headline"]
    against = fusion.get("against")
    low, high = headline["interval"] or (float("nan"), float("nan"))
    title = (f"{record['task']['name']} · {fusion['kind']} ({fusion.get('combine') or fusion.get('merge')}) of "
             f"{len(fusion['members'])} runs · {headline['split']} {headline['metric']}")
    table = Table(title=title, title_justify="left")
    for column in ("", "run", "method", "seed", headline["metric"], "difference", "95% interval", "p"):
        table.add_column(column, justify="left" if column in ("", "run", "method") else "right")
    table.add_row(fusion["kind"], record["run_id"], "", "", f"{headline['value']:.4f}", "",
                  f"[{low:.4f}, {high:.4f}]", "")
    best = (against or {}).get("best", {})
    others = [m for m in fusion["members"] if m.get("task", record["task"]["name"]) != record["task"]["name"]]
    for member in fusion["members"]:
        if member in others:
            continue
        value = (against or {}).get("members", {}).get(member["run_id"], member["headline"])
        mark = f"best (by {best['chosen_by']})" if member["run_id"] == best.get("run_id") else "member"
        table.add_row(mark, member["run_id"], member["method"], str(member["seed"]), f"{value:.4f}", "", "", "")
    if against:
        for name in ("best", "mean"):
            test = against[name]
            table.add_row(f"vs {name} member", "", "", "", f"{test['value']:.4f}", f"{test['delta']:+.4f}",
                          f"[{test['interval'][0]:+.4f}, {test['interval'][1]:+.4f}]",
                          _p_value(test["p_value"], against.get("n_boot", 1000)))
    console.print(table)
    if others:
        console.print(f"merged with {len(others)} run(s) of other tasks: "
                      + ", ".join(f"{m['run_id']} ({m['task']})" for m in others))
    kept = fusion.get("kept")
    if kept is not None and len(kept) < len(fusion["members"]) - len(others):
        console.print(f"the greedy soup kept {len(kept)} of {len(fusion['members'])} members: {', '.join(kept)}")
    costs = record["costs"]
    speed = costs.get("inference_examples_per_second")
    console.print(f"cost: {costs['total_parameters']:,} parameters at inference, {costs['deploy_bytes'] / 1e6:.1f} MB"
                  + (f", {speed:g} examples/s" if speed else "")
                  + (f"; combined in {fusion['combine_seconds']:.3f} s" if "combine_seconds" in fusion else "")
                  + (f"; merged in {fusion['merge_seconds']:.2f} s" if "merge_seconds" in fusion else ""))
    console.print(("already recorded (pass --force to make it again): " if skipped else "recorded: ") + str(path))


def _p_value(p: float, n_boot: int) -> str:
    """A bootstrap p of 0 means below the resolution 1 / n_boot."""
    return f"< {1 / n_boot:.2g}" if p == 0 else f"{p:.3g}"
