"""Boards and their formats: aggregation, versions kept apart, csv/json round trips, self-contained html, CLI."""

from __future__ import annotations

import csv
import io
import json
import statistics
from html.parser import HTMLParser

import pytest
from rich.console import Console
from test_leaderboard_records import (
    profile_record,
    robustness_section,
    run_record,
    write_records,
)

from harness.board import build_board, load_view, parse_view
from harness.board.html import to_html
from harness.board.plots import draw_plots
from harness.board.render_data import csv_header, to_csv, to_dict, to_json
from harness.board.render_text import markdown, print_terminal
from harness.cli.main import main

COSTS = {"full": (22_000_000, 1.0, 90e6), "lora": (150_000, 0.0066, 600e3), "bitfit": (26_000, 0.0012, 110e3)}
SCORES = {"full": (0.91, 0.90, 0.92), "lora": (0.89, 0.90, 0.88), "bitfit": (0.82, 0.81, 0.80)}


def _peft_records() -> list[dict]:
    records = []
    for method, scores in SCORES.items():
        trainable, share, size = COSTS[method]
        for seed, score in enumerate(scores):
            records.append(run_record("sst2", score, method=method, seed=seed, costs={
                "trainable_parameters": trainable, "trainable_share": share, "deploy_bytes": size,
                "train_examples_per_second": 100.0 + seed, "peak_train_memory_mb": 1200.0,
                "inference_examples_per_second": 80.0}))
    return records


@pytest.fixture()
def peft_board(tmp_path):
    return build_board(load_view("peft"), write_records(tmp_path / "results", _peft_records()))


def test_rows_are_means_over_seeds_best_first(peft_board):
    assert [row.key["method"] for row in peft_board.rows] == ["full", "lora", "bitfit"]
    (accuracy,) = peft_board.columns_for("accuracy")
    cell = peft_board.cell(peft_board.rows[0], accuracy)
    assert cell.value == pytest.approx(0.91) and cell.n == 3
    assert cell.std == pytest.approx(statistics.stdev(SCORES["full"]))
    low, high = cell.interval
    assert low < 0.91 < high and len(cell.run_ids) == 3
    (params,) = peft_board.columns_for("trainable parameters")
    assert not params.higher_is_better and peft_board.best(params) == {2}  # bitfit: fewest
    assert peft_board.best(accuracy) == {0}
    assert not peft_board.columns_for("missing")


def test_markdown_marks_the_best_value_per_column(peft_board):
    text = markdown(peft_board)
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| model | method | settings | accuracy ↑ | trainable parameters ↓")
    assert "**0.9100 ± 0.0100 (n=3)**" in lines[1]
    assert "**26K" in lines[3] and "**0.9100" not in lines[3]


def test_json_holds_every_figure_and_round_trips_through_csv(peft_board):
    data = json.loads(to_json(peft_board))
    assert data["view"]["name"] == "peft" and data["key_fields"] == ["model", "method", "settings"]
    full = data["rows"][0]["cells"]["accuracy"]
    assert full["n"] == 3 and len(full["run_ids"]) == 3 and full["values"] == pytest.approx(list(SCORES["full"]))
    assert full["best"] is True and len(full["interval"]) == 2
    rows = list(csv.DictReader(io.StringIO(to_csv(peft_board))))
    assert list(rows[0]) == csv_header(peft_board)
    for row, json_row in zip(rows, data["rows"]):
        assert row["method"] == json_row["key"]["method"]
        for label, cell in json_row["cells"].items():
            assert float(row[label]) == cell["value"]  # full precision
            assert int(row[f"{label} n"]) == cell["n"]
            assert (float(row[f"{label} std"]) if row[f"{label} std"] else None) == cell["std"]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags, self.open = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in ("meta", "img", "input", "br", "link"):
            self.open.append(tag)
        self.links += [value for name, value in attrs if name in ("src", "href", "action", "srcset") and value]

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def test_html_is_valid_and_self_contained(peft_board):
    plots, skipped = draw_plots(peft_board)
    assert len(plots) == 1 and not skipped and plots[0].png.startswith(b"\x89PNG")
    page = to_html(peft_board, plots)
    parser = _Collect()
    parser.feed(page)
    parser.close()
    assert not parser.open  # every element closed, in order
    assert {"table", "thead", "tbody", "script", "style", "img", "input", "select"} <= set(parser.tags)
    assert parser.links and all(link.startswith(("data:", "#")) for link in parser.links)
    lowered = page.lower()
    assert "http://" not in lowered and "https://" not in lowered and "url(" not in lowered
    assert "@import" not in lowered and 'src="//' not in lowered and 'href="//' not in lowered
    assert 'class="best"' in page and "runs: " in page  # highlight and hover details


def _versions(tmp_path, **second):
    records = [run_record("sst2", 0.9, seed=0), run_record("sst2", 0.7, seed=1, **second)]
    return build_board(parse_view({"name": "v", "columns": ["sst2"]}, "v.yaml"), write_records(tmp_path, records))


def test_runs_of_different_task_definitions_are_never_averaged(tmp_path):
    board = _versions(tmp_path, task_hash="b" * 64)
    assert [c.label for c in board.columns] == ["sst2 [task definition aaaaaaaa]", "sst2 [task definition bbbbbbbb]"]
    values = [board.cell(board.rows[0], column).value for column in board.columns]
    assert values == [0.9, 0.7] and any("never averaged" in note for note in board.notes)


def test_runs_of_different_metric_versions_are_never_averaged(tmp_path):
    board = _versions(tmp_path, metric_versions={"accuracy": 2})
    assert [c.label for c in board.columns] == ["sst2 [accuracy version v1]", "sst2 [accuracy version v2]"]


def test_runs_of_different_prompts_get_their_own_rows(tmp_path):
    records = [run_record("sst2", 0.6, method="zero-shot", prompt_hash="1111111111"),
               run_record("sst2", 0.7, method="zero-shot", seed=1, prompt_hash="2222222222")]
    view = parse_view({"name": "v", "rows": ["model", "method"], "columns": ["sst2"]}, "v.yaml")
    board = build_board(view, write_records(tmp_path, records))
    assert board.key_fields == ("model", "method", "prompt")
    assert sorted(row.key["prompt"] for row in board.rows) == ["11111111", "22222222"]
    assert all(board.cell(row, board.columns[0]).n == 1 for row in board.rows)


def test_efficiency_view_reads_profiles_newest_first(tmp_path):
    run = run_record("sst2", 0.9)
    old = profile_record("sst2", run["run_id"], {"fp32": {"latency_b1": 20.0, "metric": 0.9}},
                         created_at="2026-11-20T00:00:00+00:00")
    new = profile_record("sst2", run["run_id"], {
        "fp32": {"latency_b1": 10.0, "latency_b32": 40.0, "speedup_b1": 1.0, "metric": 0.9, "metric_drop": 0.0},
        "int8-dynamic": {"latency_b1": 5.0, "speedup_b1": 2.0, "metric": 0.88, "metric_drop": 0.02, "size_mb": 58.8},
    })
    board = build_board(load_view("efficiency"), write_records(tmp_path, [run], [old, new]))
    assert [row.key["variant"] for row in board.rows] == ["int8-dynamic", "fp32"]  # sorted by latency b1
    (latency,) = board.columns_for("latency b1")
    assert [board.cell(row, latency).value for row in board.rows] == [5.0, 10.0]
    assert board.cell(board.rows[0], board.columns_for("size")[0]).value == pytest.approx(58.8)
    assert not board.columns_for("speed-up b32")  # nothing recorded: left out
    plots, _ = draw_plots(board)
    assert [p.stem for p in plots] == ["efficiency-1-pareto"]


def test_robustness_view_and_its_drop_plots(tmp_path):
    records = [run_record("sst2", 0.9, method=m, seed=s, robustness=robustness_section(
        0.9, {"keyboard_typos": 0.05 + s / 100, "lowercase": 0.0}, 0.2)) for m in ("full", "lora") for s in (0, 1)]
    board = build_board(load_view("robustness"), write_records(tmp_path, records))
    (drop,) = board.columns_for("sst2 typos drop")
    assert not drop.higher_is_better
    assert board.cell(board.rows[0], drop).value == pytest.approx(0.055)
    plots, skipped = draw_plots(board)
    assert [p.stem for p in plots] == ["robustness-1-drops"] and len(skipped) == 2
    glob = parse_view({"name": "g", "columns": [{"robustness": "*", "task": "sst2"}]}, "g.yaml")
    labels = [c.label for c in build_board(glob, tmp_path).columns]
    assert labels == ["sst2 keyboard_typos", "sst2 lowercase"]


def test_cli_writes_each_format(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps cells to the terminal width
    results = write_records(tmp_path / "results", _peft_records())
    base = ["leaderboard", "peft", "--results", str(results)]
    assert main([*base, "--format", "html", "--output", str(tmp_path / "peft.html"), "--plots",
                 str(tmp_path / "plots")]) == 0
    assert (tmp_path / "peft.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "plots" / "peft-1-pareto.png").read_bytes().startswith(b"\x89PNG")
    capsys.readouterr()
    assert main([*base, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == to_dict(build_board(load_view("peft"), results))
    assert main([*base, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("model,method,settings,accuracy,accuracy std,accuracy n")
    assert main([*base, "--format", "terminal"]) == 0
    assert "0.9100 ± 0.0100 (n=3)" in capsys.readouterr().out
    assert main(["leaderboard", "nope", "--results", str(results)]) == 2
    assert "unknown leaderboard view 'nope'" in capsys.readouterr().err
    assert main(["leaderboard", "--list"]) == 0
    assert "efficiency" in capsys.readouterr().out


def test_a_narrow_terminal_splits_the_columns_instead_of_cutting_them(peft_board):
    console = Console(width=80, record=True)
    print_terminal(peft_board, console)
    text = console.export_text()
    assert "…" not in text and max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "Parameter-efficient fine-tuning on SST-2 (1/" in text  # tables of the columns that fit, the row fields repeated
    body = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    accuracy_column = [cells[4].strip() for cells in body if cells[4].strip()][:3]  # model, method, settings, ..
    assert accuracy_column == ["0.9100 ± 0.0100 (n=3)", "0.8900 ± 0.0100 (n=3)", "0.8100 ± 0.0100 (n=3)"]
