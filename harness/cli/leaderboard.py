"""`harness leaderboard [VIEW]`: recorded runs as one table, or as a leaderboard view (harness/board/views/*.yaml)."""

from __future__ import annotations

import io
from pathlib import Path

import click
from rich.console import Console

from harness.cli import options
from harness.errors import HarnessError
from harness.record.store import atomic_replace, atomic_write

FORMATS = ("terminal", "markdown", "html", "csv", "json")


def _list_views(views_dirs: tuple[Path, ...]) -> None:
    from harness.board.view import list_views, load_view

    for name, path in sorted(list_views(views_dirs).items()):
        view = load_view(path)
        click.echo(f"{name:<12} {view.title}  ({path})")


def _emit(text: str, output: Path | None, what: str) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    atomic_write(output, [text])  # a half-written page never replaces a good one
    click.echo(f"wrote {what} to {output}", err=True)


def _view(view_name: str | None, results: Path, fmt: str, output: Path | None, plots_dir: Path | None,
          views_dirs: tuple[Path, ...], tasks_dirs: tuple[Path, ...]) -> None:
    from harness.board import build_board, load_view
    from harness.board.render_data import to_csv, to_json
    from harness.board.render_text import markdown, print_terminal

    if view_name is None:  # every recorded run, every reported split
        from harness.board.all_runs import all_runs_view

        view = all_runs_view(results)
    else:
        view = load_view(view_name, views_dirs)
    board = build_board(view, results, tasks_dirs)
    for warning in board.warnings:
        click.echo(f"warning: {warning}", err=True)
    plots = []
    if fmt == "html" or plots_dir is not None:
        from harness.board.plots import draw_plots

        plots, skipped = draw_plots(board)
        for reason in skipped:
            click.echo(f"note: plot left out: {reason}", err=True)
        if plots_dir is not None:
            for plot in plots:
                atomic_replace(plots_dir / f"{plot.stem}.png", lambda handle, png=plot.png: handle.write(png))
                click.echo(f"wrote plot {plots_dir / f'{plot.stem}.png'}", err=True)
    if fmt == "terminal":
        if output is None:
            print_terminal(board)
        else:
            text = io.StringIO()
            print_terminal(board, Console(file=text, width=200, no_color=True))
            _emit(text.getvalue(), output, "the leaderboard")
        return
    if fmt == "html":
        from harness.board.html import to_html

        _emit(to_html(board, plots), output, "the html leaderboard")
        return
    render = {"markdown": markdown, "csv": to_csv, "json": to_json}[fmt]
    _emit(render(board), output, f"the {fmt} leaderboard")


@click.command()
@click.argument("view", required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="terminal", show_default=True)
@click.option("--results", "results", type=click.Path(path_type=Path), default="results", envvar="HARNESS_RESULTS",
              show_default=True, help="Results folder. Env: HARNESS_RESULTS.")
@click.option("--output", "output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the leaderboard to this file instead of stdout.")
@click.option("--plots", "plots_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write the view's plots as PNG files into this folder.")
@options.views_dirs
@options.tasks_dirs
@click.option("--list", "list_only", is_flag=True, help="List the leaderboard views and exit.")
def leaderboard(view, fmt, results, output, plots_dir, views_dirs, tasks_dirs, list_only):
    """Recorded runs as a leaderboard VIEW (glue, clue, ner, peft, efficiency, robustness, or a YAML file).

    Without VIEW: every recorded run, rows model x method x settings, a column per task and reported split
    (the task's headline metric, mean over seeds), in any format.
    """
    if list_only:
        _list_views(views_dirs)
        return
    if results.exists() and not results.is_dir():
        raise HarnessError(f"--results {results} is a file, not a results folder; pass --results DIR")
    if view is None and plots_dir is not None:
        raise HarnessError("--plots needs a VIEW with plots (e.g. `harness leaderboard peft --plots plots/`); "
                           "`harness leaderboard --list` lists the views")
    _view(view, results, fmt, output, plots_dir, views_dirs, tasks_dirs)
