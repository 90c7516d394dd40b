"""Leaderboards: run and profile records -> views (harness/board/views/*.yaml) -> tables, html, csv, json, plots.

    board = build_board(load_view("peft"), "results")
    print(markdown(board)); Path("peft.html").write_text(to_html(board, draw_plots(board)[0]))

view.py (the YAML views), columns.py (what a column may ask for), sources.py (records and
filters), facts.py (one figure of one record), cells.py (aggregation over seeds), suites.py
(suite-score arithmetic), board.py (the table), render_text.py / render_data.py / html.py
(formats), plots.py (PNG plots). all_runs.py builds the view of `harness leaderboard` without
a view: every run, a column per task and reported split.
"""

from harness.board.board import Board, Column, Row, build_board
from harness.board.cells import Cell
from harness.board.suites import CLUE, GLUE, SUITES, Suite, SuiteScore, SuiteTask, suite_score, task_score
from harness.board.view import View, list_views, load_view, parse_view

__all__ = [
    "CLUE",
    "GLUE",
    "SUITES",
    "Board",
    "Cell",
    "Column",
    "Row",
    "Suite",
    "SuiteScore",
    "SuiteTask",
    "View",
    "build_board",
    "list_views",
    "load_view",
    "parse_view",
    "suite_score",
    "task_score",
]
