"""Leaderboard views: the shipped ones load, bad ones are refused with the valid names, views are found."""

from __future__ import annotations

import sys
import types

import pytest
from test_leaderboard_records import run_record, write_records

from harness.board import build_board, list_views, load_view, parse_view
from harness.board.view import BUILTIN_DIR, VIEWS_PATH_ENV
from harness.errors import HarnessError

SHIPPED = ("glue", "clue", "ner", "peft", "efficiency", "robustness")


def _view(**overrides):
    raw = {"name": "t", "title": "T", "columns": [{"task": "sst2"}], **overrides}
    return parse_view(raw, "t.yaml")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_views_load(name):
    view = load_view(name)
    assert view.name == name and view.title and view.columns
    assert view.path is not None and view.path.parent == BUILTIN_DIR


@pytest.mark.parametrize(("raw", "expected"), [
    ({"columns": [{"cost": "gpu_hours"}]}, "unknown cost 'gpu_hours'"),
    ({"columns": [{"suite": "superglue"}]}, "unknown suite 'superglue'"),
    ({"columns": [{"profile": "latency"}]}, "unknown profile figure 'latency'"),
    ({"columns": [{"cost": "deploy_bytes", "profile": "size_mb"}]}, "name exactly one of"),
    ({"columns": [{"task": "sst2", "metrc": "f1"}]}, "unknown key metrc"),
    ({"columns": [{"robustness": "worst_case_drop"}]}, "needs the task it reads"),
    ({"columns": [{"task": "sst2"}, {"task": "sst2"}]}, "two columns are labelled sst2"),
    ({"sort": "accuracy"}, "unknown column 'accuracy'"),
    ({"rows": ["model", "colour"]}, "unknown row field"),
    ({"runs": {"dataset": "sst2"}}, "unknown filter"),
    ({"aggregate": "max"}, "unknown aggregate"),
    ({"colums": []}, "unknown key colums"),
    ({"plots": [{"kind": "pareto", "x": "sst2"}]}, "needs x and y"),
    ({"plots": [{"kind": "pie"}]}, "unknown plot kind 'pie'"),
])
def test_malformed_views_are_refused_naming_what_is_valid(raw, expected):
    with pytest.raises(HarnessError, match=expected) as error:
        _view(**raw)
    assert "\n" not in str(error.value)


def test_unknown_cost_lists_the_valid_ones():
    with pytest.raises(HarnessError) as error:
        _view(columns=[{"cost": "trainable_parms"}])
    assert "did you mean trainable_parameters" in str(error.value) and "deploy_bytes" in str(error.value)


@pytest.fixture()
def results(tmp_path):
    return write_records(tmp_path / "results", [
        run_record("sst2", 0.9, method="full"), run_record("sst2", 0.8, method="lora"),
        run_record("mrpc", {"validation": {"f1": 0.8, "accuracy": 0.7}}, headline=("validation", "f1")),
    ])


@pytest.mark.parametrize(("columns", "expected"), [
    ([{"task": "sst3"}], "unknown task 'sst3'; did you mean .*sst2"),
    ([{"task": "sst2", "metric": "f1_score"}], "unknown metric for task sst2"),
    ([{"task": "sst2", "split": "test"}], "unknown evaluation split of task sst2"),
    ([{"robustness": "keybord_typos", "task": "sst2"}], "unknown robustness figure 'keybord_typos'; did you mean"),
])
def test_names_that_do_not_exist_are_refused_with_the_valid_ones(results, columns, expected):
    with pytest.raises(HarnessError, match=expected) as error:
        build_board(_view(columns=columns), results)
    assert "valid:" in str(error.value)


def test_a_task_alias_reads_the_records_of_its_task(results):
    write_records(results, [run_record("fewclue-tnews", 0.5, headline=("test_public", "accuracy"))])
    board = build_board(_view(columns=[{"task": "tnews"}, {"task": "mrpc", "metric": "accuracy"}]), results)
    assert [c.label for c in board.columns] == ["tnews", "mrpc accuracy"]
    (row,) = [row for row in board.rows if board.cell(row, board.columns[0]).value is not None]
    assert board.cell(row, board.columns[0]).value == 0.5


def test_a_filter_that_matches_nothing_is_named(results):
    with pytest.raises(HarnessError, match=r"runs\.method: qlora matched no record .*method recorded: full | lora"):
        build_board(_view(runs={"method": "qlora"}), results)
    with pytest.raises(HarnessError, match="no record matches all of them together"):
        build_board(_view(runs={"method": "lora", "task": "mrpc"}), results)


def test_runs_without_any_figure_of_the_view_are_an_error(results):
    with pytest.raises(HarnessError, match="none has a figure for its columns"):
        build_board(_view(columns=[{"profile": "latency_b1"}]), results)


def test_an_empty_results_folder_is_an_error(tmp_path):
    with pytest.raises(HarnessError, match="no run records"):
        build_board(_view(), tmp_path)


def test_an_installed_package_adds_a_folder_of_views(tmp_path, monkeypatch):
    from importlib import metadata

    folder = tmp_path / "pkg_views"
    folder.mkdir()
    (folder / "team.yaml").write_text("name: team-board\ntitle: from a package\ncolumns: [{task: sst2}]\n")
    module = types.ModuleType("fake_harness_views_pkg")
    module.VIEWS = str(folder)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    point = metadata.EntryPoint(name="team", value="fake_harness_views_pkg:VIEWS", group="harness.leaderboards")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [point] if group == "harness.leaderboards" else [])
    assert load_view("team-board").title == "from a package"
    assert list_views()["team-board"] == folder / "team.yaml"
    module.VIEWS = str(tmp_path / "gone")
    with pytest.raises(HarnessError, match=r"entry point team .* names .*gone, which is not a folder of leaderboard"):
        list_views()


def test_views_are_found_in_env_folders_and_views_dirs(tmp_path, monkeypatch):
    team, mine = tmp_path / "team", tmp_path / "mine"
    for folder, title in ((team, "team peft"), (mine, "my peft")):
        folder.mkdir()
        (folder / "peft.yaml").write_text(f"name: peft\ntitle: {title}\ncolumns: [{{task: sst2}}]\n")
    (mine / "other.yml").write_text("name: solo\ncolumns: [sst2]\n")
    monkeypatch.setenv(VIEWS_PATH_ENV, str(team))
    assert load_view("peft").title == "team peft"
    assert load_view("peft", [mine]).title == "my peft"  # --views-dir comes after the environment
    assert load_view("solo", [mine]).title == "solo"
    assert set(SHIPPED) <= set(list_views([mine]))
    assert load_view(str(mine / "other.yml")).name == "solo"
    with pytest.raises(HarnessError, match="unknown leaderboard view 'glu'; did you mean glue"):
        load_view("glu")
    with pytest.raises(HarnessError, match="does not exist"):
        load_view(str(tmp_path / "nope.yaml"))


def test_a_builtin_view_renders_what_applies_and_names_the_users_tasks_it_left_out(tmp_path):
    results = write_records(tmp_path / "results", [run_record("sst2", 0.9), run_record("my-task", 0.5),
                                                   run_record("my-task", 0.6, seed=1)])
    board = build_board(load_view("peft"), results)
    assert [row.key["method"] for row in board.rows] == ["full"]
    assert any(note.startswith("left out: runs of my-task (2)") for note in board.notes)
    only_mine = write_records(tmp_path / "mine", [run_record("my-task", 0.5)])
    with pytest.raises(HarnessError) as error:
        build_board(load_view("glue"), only_mine)
    message = str(error.value)
    assert "\n" not in message and "covers cola, sst2" in message and "holds my-task" in message
