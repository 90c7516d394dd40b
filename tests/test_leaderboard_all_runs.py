"""`harness leaderboard` without a view: every run, a column per task and reported split, in every format."""

from __future__ import annotations

import csv
import io
import json

from test_leaderboard_records import run_record, write_records

from harness.cli.main import main

MNLI = {"validation_matched": {"accuracy": 0.80}, "validation_mismatched": {"accuracy": 0.70}}


def _results(tmp_path):
    return write_records(tmp_path / "results", [
        run_record("mnli", MNLI, headline=("validation_matched", "accuracy")),
        run_record("sst2", 0.9, method="lora"),
    ])


def test_every_format_renders_to_a_file_with_every_reported_split(tmp_path, capsys):
    results = _results(tmp_path)
    for fmt in ("terminal", "markdown", "html", "csv", "json"):
        out = tmp_path / f"board.{fmt}"
        assert main(["leaderboard", "--results", str(results), "--format", fmt, "--output", str(out)]) == 0, fmt
        assert "mnli accuracy (validation_mismatched)" in out.read_text(encoding="utf-8"), fmt
    assert (tmp_path / "board.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "board.csv").read_text(encoding="utf-8"))))
    (mnli,) = [row for row in rows if row["mnli accuracy (validation_matched)"]]
    assert float(mnli["mnli accuracy (validation_mismatched)"]) == 0.70
    board = json.loads((tmp_path / "board.json").read_text(encoding="utf-8"))
    assert [c["label"] for c in board["columns"]] == [
        "mnli accuracy (validation_matched)", "mnli accuracy (validation_mismatched)", "sst2 accuracy (validation)"]
    assert [row["key"]["method"] for row in board["rows"]] == ["full", "lora"]  # name order: no column ranks


def test_an_80_column_terminal_shows_every_figure_whole(tmp_path):
    """Real records (results/ of this repository): every figure on one line, nothing cut, lines within 80."""
    from pathlib import Path
    from shutil import copy2

    from rich.console import Console

    from harness.board import build_board
    from harness.board.all_runs import all_runs_view
    from harness.board.render_text import cell_text, print_terminal

    committed = Path(__file__).resolve().parents[1] / "results"
    for task in ("sst2", "conll2003", "fewclue-eprstmt"):
        (tmp_path / task).mkdir()
        for record in (committed / task).glob("*.json"):
            copy2(record, tmp_path / task / record.name)
    board = build_board(all_runs_view(tmp_path), tmp_path)
    console = Console(width=80, record=True)
    print_terminal(board, console)
    lines = console.export_text().splitlines()
    assert "…" not in "".join(lines) and max(len(line) for line in lines) <= 80
    figures = {cell_text(c, board.cell(r, c)) for r in board.rows for c in board.columns if board.cell(r, c).shown}
    on_a_line = {cell.strip() for line in lines for cell in line.split("│")}
    assert figures <= on_a_line  # "0.8291 ± 0.0116 (n=3)" whole, never folded over lines
    headers = {cell.strip() for line in lines for cell in line.split("┃")}
    assert "conll2003 entity_f1 (validation) ↑" in headers and "sst2 accuracy (validation) ↑" in headers
