"""`--results DIR` is the results folder in every command; `--output` names a file a command writes. The old
`--output DIR` for a results folder still works, with a one-line deprecation warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cli.main import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def results(tmp_path) -> Path:
    record = next((REPO / "results" / "rte").glob("*[0-9a-f].json"))
    (tmp_path / "results" / "rte").mkdir(parents=True)
    for part in record.parent.glob(f"{record.stem}.*"):  # the record and the files beside it
        shutil.copy(part, tmp_path / "results" / "rte")
    return tmp_path / "results"


def test_output_as_a_results_folder_warns_once_and_still_works(results, capsys):
    assert main(["results", "check", "--output", str(results)]) == 0
    captured = capsys.readouterr()
    assert "every record is readable" in captured.out
    assert captured.err.count("\n") == 1 and "deprecated: use --results" in captured.err


def test_results_is_quiet(results, capsys):
    assert main(["results", "check", "--results", str(results)]) == 0
    assert capsys.readouterr().err == ""


def test_both_spellings_at_once_are_refused(results, capsys):
    assert main(["results", "check", "--results", str(results), "--output", str(results)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give one of them" in err


def test_leaderboard_output_is_a_file(results, tmp_path, capsys):
    board = tmp_path / "board.md"
    assert main(["leaderboard", "glue", "--results", str(results), "--format", "markdown", "--output", str(board)]) == 0
    assert board.read_text().startswith("#") or "|" in board.read_text()
