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


KEY_MIN_WIDTH = 20  # a row field (settings) narrower than this wraps into too many lines to read


def _text_width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _word_width(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _parts(board: Board, width: int) -> list[list[Column]]:
    """The columns in groups that fit `width` beside the row fields, figures never wrapped: all of them when
    they fit, else as many per table as fit (one at least), like a wide data frame printed in blocks."""
    keys = [max(_word_width(name), *(_word_width(row.key[name]) for row in board.rows),
                min(KEY_MIN_WIDTH, max(_text_width(row.key[name]) for row in board.rows)))
            for name in board.key_fields] if board.rows else []
    need = {column.label: max(_word_width(header(column)),
                              *(len(cell_text(column, board.cell(row, column))) for row in board.rows))
            for column in board.columns}
    parts: list[list[Column]] = [[]]
    for column in board.columns:
        candidate = [*parts[-1], column]
        widths = keys + [need[c.label] for c in candidate]
        if parts[-1] and sum(widths) + 3 * len(widths) + 1 > width:
            parts.append([column])
        else:
            parts[-1] = candidate
    return parts


def print_terminal(board: Board, console: Console | None = None) -> None:
    """A rich table; the best value of each column in bold green. Figures never wrap: on a terminal too narrow
    for every column, one table per group of columns that fits, each with the rows that have a figure there."""
    console = console or Console()
    parts = _parts(board, console.width)
    best = {column.label: board.best(column) for column in board.columns}
    for number, columns in enumerate(parts, start=1):
        rows = [(i, row) for i, row in enumerate(board.rows)
                if len(parts) == 1 or any(board.cell(row, c).shown for c in columns)]
        title = board.view.title + (f" ({number}/{len(parts)})" if len(parts) > 1 else "")
        last = number == len(parts)
        table = Table(title=title, title_justify="left", caption=(board.view.description or None) if last else None,
                      caption_justify="left")
        for name in board.key_fields:
            table.add_column(name, overflow="fold")  # a narrow terminal wraps a name rather than cutting it
        for column in columns:
            figures = [len(cell_text(column, board.cell(row, column))) for _, row in rows]
            table.add_column(header(column), justify="right", no_wrap=True, min_width=max(figures, default=1))
        for i, row in rows:
            cells = [Text(cell_text(column, board.cell(row, column)),
                          style="bold green" if i in best[column.label] else "") for column in columns]
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
