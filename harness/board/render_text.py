"""A board as text: cell texts and hovers shared by every format, a rich table, markdown."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.board.board import Board, Column
from harness.board.cells import Cell
from harness.board.columns import is_score
from harness.compare import units


LEGEND = ("↑ higher is better, ↓ lower is better; ± is the std over seeds, n the number of runs; "
          "[a, b] one run's 95% bootstrap interval over examples")


def cell_text(column: Column, cell: Cell) -> str:
    """'0.8452 ± 0.0040 (n=3)', '0.5975 [0.5631, 0.6307]' (one run, its bootstrap interval), '1.2M', or '–'."""
    if cell.value is None:
        return cell.partial or units.MISSING
    text = column.text(cell.value)
    if not is_score(column.spec):
        return text  # costs and timings: the mean; spread and n are in the hover and the data formats
    if cell.std is not None:
        text += f" ± {cell.std:.4f}"
    if cell.n > 1:
        return f"{text} (n={cell.n})"
    if cell.interval is not None:  # one run: how far its examples let the score move
        text += f" [{column.text(cell.interval[0])}, {column.text(cell.interval[1])}]"
    return text


def hover_lines(column: Column, cell: Cell) -> list[str]:
    """What a hover shows: value, spread, interval, runs; for suites each task's score."""
    lines = []
    if cell.value is not None:
        lines.append(f"{column.label}: {column.text(cell.value)}")
    if cell.partial:
        mean = "" if cell.partial_mean is None else f"; mean over them {cell.partial_mean:.4f} (not ranked)"
        lines.append(f"partial: {cell.partial}{mean}")
    if cell.note:
        lines.append(cell.note)
    if cell.std is not None:
        lines.append(f"std over runs: {cell.std:.4g}")
    if cell.interval is not None:
        lo, hi = cell.interval
        lines.append(f"{cell.interval_kind or 'interval'}: [{column.text(lo)}, {column.text(hi)}]")
    if cell.n:
        lines.append(f"n = {cell.n} run{'s' if cell.n > 1 else ''}")
    lines += [f"{task}: {value:.4f}" for task, value in cell.details.items()]
    if cell.run_ids:
        lines.append("runs: " + ", ".join(cell.run_ids))
    if column.version:
        lines.append(f"only runs of {column.version}")
    return lines


def header(column: Column) -> str:
    arrow = "↑" if column.higher_is_better else "↓"
    return f"{column.label} {arrow}"


def print_terminal(board: Board, console: Console | None = None) -> None:
    """A rich table; the best value of each column in bold green."""
    console = console or Console()
    table = Table(title=board.view.title, title_justify="left", caption=board.view.description or None,
                  caption_justify="left")
    for name in board.key_fields:
        table.add_column(name, overflow="fold")  # a narrow terminal wraps a cell rather than cutting it
    for column in board.columns:
        table.add_column(header(column), justify="right", overflow="fold")
    best = [board.best(column) for column in board.columns]
    for i, row in enumerate(board.rows):
        cells = [Text(cell_text(column, board.cell(row, column)), style="bold green" if i in best[j] else "")
                 for j, column in enumerate(board.columns)]
        table.add_row(*row.key.values(), *cells)
    console.print(table)
    for note in board.notes:
        console.print(f"[dim]note: {note}[/]")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(board: Board) -> str:
    """A table ready to paste into a README or a pull request; the best value of each column in bold."""
    lines = [f"### {_md(board.view.title)}", ""]
    if board.view.description:
        lines += [_md(board.view.description.strip()), ""]
    names = [*board.key_fields, *(header(column) for column in board.columns)]
    lines.append("| " + " | ".join(_md(name) for name in names) + " |")
    lines.append("|" + "---|" * len(board.key_fields) + "---:|" * len(board.columns))
    best = [board.best(column) for column in board.columns]
    for i, row in enumerate(board.rows):
        cells = []
        for j, column in enumerate(board.columns):
            text = _md(cell_text(column, board.cell(row, column)))
            cells.append(f"**{text}**" if i in best[j] else text)
        lines.append("| " + " | ".join([*(_md(v) for v in row.key.values()), *cells]) + " |")
    lines.append("")
    lines += [f"- {_md(note)}" for note in board.notes]
    lines.append(f"- {LEGEND}; best value per column in bold")
    return "\n".join(lines) + "\n"
