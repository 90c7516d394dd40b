"""Suite scores against hand-computed values, alone and through a GLUE board."""

from __future__ import annotations

import statistics

import pytest
from test_leaderboard_records import run_record, write_records

from harness.board import CLUE, GLUE, build_board, load_view, suite_score, task_score
from harness.board.suites import per_seed_scores

# One run per GLUE task: split -> metric -> value, and what the task contributes (by hand).
GLUE_RUN = {
    "cola": ({"validation": {"matthews_correlation": 0.50}}, 0.50),
    "sst2": ({"validation": {"accuracy": 0.90}}, 0.90),
    "mrpc": ({"validation": {"f1": 0.88, "accuracy": 0.84}}, 0.86),
    "stsb": ({"validation": {"pearson": 0.86, "spearman": 0.84}}, 0.85),
    "qqp": ({"validation": {"f1": 0.70, "accuracy": 0.80}}, 0.75),
    "mnli": ({"validation_matched": {"accuracy": 0.80}, "validation_mismatched": {"accuracy": 0.82}}, 0.81),
    "qnli": ({"validation": {"accuracy": 0.88}}, 0.88),
    "rte": ({"validation": {"accuracy": 0.66}}, 0.66),
    "wnli": ({"validation": {"accuracy": 0.56}}, 0.56),
}
GLUE_SCORE = (0.50 + 0.90 + 0.86 + 0.85 + 0.75 + 0.81 + 0.88 + 0.66 + 0.56) / 9  # 6.77 / 9


def _headline(task: str) -> tuple[str, str]:
    values, _ = GLUE_RUN[task]
    split = next(iter(values))
    return split, next(iter(values[split]))


@pytest.mark.parametrize("task", list(GLUE_RUN))
def test_each_glue_task_contributes_its_official_score(task):
    values, expected = GLUE_RUN[task]
    assert task_score(GLUE.part(task), values, _headline(task)[0]) == pytest.approx(expected)


def test_mnli_with_only_matched_recorded_contributes_matched():
    part = GLUE.part("mnli")
    assert task_score(part, {"validation_matched": {"accuracy": 0.8}}, "validation_matched") == pytest.approx(0.8)


def test_a_task_missing_one_of_its_two_metrics_contributes_nothing():
    assert task_score(GLUE.part("mrpc"), {"validation": {"f1": 0.88}}, "validation") is None
    assert task_score(GLUE.part("stsb"), {"validation": {"pearson": float("nan"), "spearman": 0.8}},
                      "validation") is None


def test_glue_score_is_the_mean_of_the_nine_task_scores():
    score = suite_score(GLUE, {task: expected for task, (_, expected) in GLUE_RUN.items()})
    assert score.complete and score.value == pytest.approx(GLUE_SCORE) and score.value == pytest.approx(0.752222, 1e-5)
    assert score.coverage == "9/9 tasks"


def test_missing_tasks_make_a_partial_score_with_no_value():
    scores = {task: expected for task, (_, expected) in GLUE_RUN.items() if task not in ("qqp", "mnli")}
    score = suite_score(GLUE, scores)
    assert score.value is None and not score.complete
    assert score.coverage == "7/9 tasks" and score.missing == ("qqp", "mnli")
    assert score.partial_mean == pytest.approx((6.77 - 0.75 - 0.81) / 7)


def test_clue_score_is_the_mean_of_headline_metrics():
    assert CLUE.task_names == ("afqmc", "ocnli", "cluener")
    assert suite_score(CLUE, {"afqmc": 0.70, "ocnli": 0.72, "cluener": 0.78}).value == pytest.approx(2.2 / 3)


def test_per_seed_scores_use_the_seeds_every_task_ran():
    tasks = {task: {0: 0.5, 1: 0.7} for task in CLUE.task_names}
    tasks["cluener"] = {0: 0.8, 1: 0.9, 2: 0.1}
    assert per_seed_scores(CLUE, tasks) == pytest.approx({0: 0.6, 1: 2.3 / 3})
    assert per_seed_scores(CLUE, {"afqmc": {0: 0.5}}) == {}


def _glue_runs(model: str, seed: int, shift: float, skip: tuple[str, ...] = ()) -> list[dict]:
    runs = []
    for task, (values, _) in GLUE_RUN.items():
        if task in skip:
            continue
        split, metric = _headline(task)
        shifted = {s: {m: v + shift for m, v in by.items()} for s, by in values.items()}
        runs.append(run_record(task, shifted, model=model, seed=seed, headline=(split, metric)))
    return runs


def test_glue_board_scores_complete_rows_and_never_ranks_partial_ones(tmp_path):
    records = [*_glue_runs("complete", 0, 0.0), *_glue_runs("complete", 1, 0.02),
               *_glue_runs("partial-but-higher", 0, 0.1, skip=("qqp", "mnli"))]
    board = build_board(load_view("glue"), write_records(tmp_path, records))
    (column,) = board.columns_for("GLUE score")
    first, second = board.rows
    assert first.key["model"] == "complete" and second.key["model"] == "partial-but-higher"
    cell = board.cell(first, column)
    assert cell.value == pytest.approx(GLUE_SCORE + 0.01)  # mean over seeds of each task, then over tasks
    assert cell.values == pytest.approx((GLUE_SCORE, GLUE_SCORE + 0.02))  # per seed
    assert cell.std == pytest.approx(statistics.stdev([GLUE_SCORE, GLUE_SCORE + 0.02]))
    assert cell.n == 2 and len(cell.run_ids) == 18
    partial = board.cell(second, column)
    assert partial.value is None and partial.partial == "7/9 tasks"
    assert partial.partial_mean == pytest.approx((6.77 - 0.75 - 0.81) / 7 + 0.1)
    assert board.best(column) == set()  # one complete score: nothing to highlight against
    assert any("never ranked" in note for note in board.notes)


def test_rows_with_the_same_missing_tasks_are_plotted_on_their_partial_means(tmp_path):
    from harness.board.plots import draw_plots

    records = []
    for model, shift, trainable in (("big", 0.0, 22_000_000), ("small", -0.05, 150_000)):
        for record in _glue_runs(model, 0, shift, skip=("qqp", "mnli", "qnli", "wnli")):
            record["costs"] = {"trainable_parameters": trainable}
            records.append(record)
    board = build_board(load_view("glue"), write_records(tmp_path, records))
    (column,) = board.columns_for("GLUE score")
    assert all(board.cell(row, column).partial == "5/9 tasks" for row in board.rows)
    plots, skipped = draw_plots(board)
    assert len(plots) == 1 and not skipped and "partial: 5/9 tasks" in plots[0].title

    for record in _glue_runs("other", 0, 0.0, skip=("qqp", "mnli", "cola")):  # 6 tasks, not the same 5
        record["costs"] = {"trainable_parameters": 1_000_000}
        records.append(record)
    board = build_board(load_view("glue"), write_records(tmp_path / "mixed", records))
    plots, skipped = draw_plots(board)
    assert not plots and skipped  # different task sets: partial means do not compare
