"""Which tasks a view covers and which a results folder holds: the one-line refusal of an empty board, and
the note naming a user's own tasks a view leaves out.

A built-in view over a folder of the user's own tasks renders what applies (a cost or profile
column reads any task) and says which of those tasks it left out; only an empty board is an
error. Tasks shipped with the harness that a view leaves out are not named: each has its views.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from harness.board.columns import ColumnSpec
from harness.board.sources import Source, Sources
from harness.board.view import View


def covered_tasks(view: View, specs: Sequence[ColumnSpec]) -> tuple[str, ...] | None:
    """The task patterns a view shows (its task filter, else its columns' tasks); None: any task."""
    if "task" in view.filters:
        return tuple(view.filters["task"])
    if any(spec.task is None and spec.kind != "suite" for spec in specs):
        return None  # a cost or profile column not pinned to a task reads any task
    return tuple(dict.fromkeys(str(spec.task) for spec in specs if spec.task))


def nothing_to_show(view: View, specs: Sequence[ColumnSpec], loaded: Sources, results: Path | str,
                    why: str | None) -> str:
    covers = covered_tasks(view, specs)
    if why and why.startswith("the view's filter runs.task:"):
        why = "no run of those tasks"  # the line says which tasks already
    held = sorted({s.task for s in loaded.everything})
    return (f"leaderboard view {view.name} covers {'any task' if covers is None else ', '.join(covers)}; {results} "
            f"holds {', '.join(held)}: nothing to show ({why}); `harness leaderboard --results {results}` shows "
            "every run")


@lru_cache(maxsize=1)
def _shipped_tasks() -> frozenset[str]:
    from harness.tasks.registry import BUILTIN_DIR
    from harness.tasks.validate import read_yaml

    names = set()
    for path in [*BUILTIN_DIR.rglob("*.yaml"), *BUILTIN_DIR.rglob("*.yml")] if BUILTIN_DIR.is_dir() else []:
        raw = read_yaml(path)
        names |= {str(raw.get("name")), *(str(a) for a in raw.get("aliases") or [])}
    return frozenset(names)


def left_out_note(everything: Iterable[Source], shown_rows: Iterable, covers: tuple[str, ...] | None) -> str | None:
    """'left out: runs of tiny-sentiment (3), ...' for the user's own tasks the board shows no figure of."""
    everything = list(everything)
    shown_ids = {run_id for row in shown_rows for cell in row.cells.values() for run_id in cell.run_ids}
    shown = {s.task for s in everything if s.run_id in shown_ids}
    counts: dict[str, int] = {}
    for source in everything:
        if source.task not in shown and source.task not in _shipped_tasks() and source.kind == "run":
            counts[source.task] = counts.get(source.task, 0) + 1
    if not counts:
        return None
    runs = ", ".join(f"{task} ({n})" for task, n in sorted(counts.items()))
    scope = "" if covers is None else f" (the view covers {', '.join(covers)})"
    return f"left out: runs of {runs}{scope}; `harness leaderboard` without a view shows every run"
