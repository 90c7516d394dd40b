"""Bad distillation input: one line, exit 2, nothing recorded changed (tiny teachers: distill_fixtures)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from distill_fixtures import (
    _snapshot,
)

from harness.cli.main import main


def _edit_teacher_data(recorded, tmp_path, monkeypatch) -> None:
    """The tasks copied and the sentiment training file edited after the teachers were recorded."""
    shutil.copytree(recorded["root"] / "my_tasks", tmp_path / "edited_tasks")
    train = tmp_path / "edited_tasks" / "sentiment" / "train.tsv"
    train.write_text(train.read_text() + "an unexpectedly moving film\t1\n")
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(tmp_path / "edited_tasks"))


def _remove_saved_model(results: Path, ids: dict) -> None:
    shutil.rmtree(results / "tiny-sentiment" / f"{ids['tiny-sentiment']}.model")


def _bad_file(tmp_path: Path) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a fine film"}\n{"sentence": "no text field"}\n')
    return str(path)


BAD = [
    ("unknown-teacher", lambda ids, tmp: ["--distill-from", "ffffffffffff"], None,
     "--distill-from ffffffffffff: no run ffffffffffff recorded"),
    ("unsaved-teacher", lambda ids, tmp: ["--distill-from", ids["unsaved"]], None,
     "has no saved model; rerun it with"),
    ("saved-model-gone", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"]], "remove_model",
     "is not there"),
    ("other-task", lambda ids, tmp: ["--distill-from", ids["tiny-ner"]], None,
     "the teacher was trained on task tiny-ner, the student's task is tiny-sentiment"),
    ("prompted-teacher", lambda ids, tmp: ["--distill-from", ids["prompted"]], None,
     "the teacher is a prompted run"),
    ("temperature-0", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--distill-temperature", "0"], None,
     "--distill-temperature 0: expected a number above 0"),
    ("alpha-1.5", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--distill-alpha", "1.5"], None,
     "--distill-alpha 1.5: expected a number from 0 to 1"),
    ("student-layers-0", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--student-layers", "0"], None,
     "--student-layers 0: expected a whole number from 1"),
    ("unlabeled-line-without-text", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"],
                                                      "--distill-unlabeled", _bad_file(tmp)], None,
     "line 2 needs text (a non-empty string)"),
    ("unlabeled-missing-file", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--distill-unlabeled",
                                                 str(tmp / "nowhere.jsonl")], None,
     "neither a split of the task nor a file"),
    ("alpha-without-teacher", lambda ids, tmp: ["--distill-alpha", "0.3"], None,
     "--distill-alpha needs a teacher: add --distill-from RUN_ID"),
    ("limit-without-unlabeled", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"],
                                                  "--distill-unlabeled-limit", "3"], None,
     "--distill-unlabeled-limit needs --distill-unlabeled"),
    ("teacher-data-changed", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"]], "edit_data",
     "was recorded on other data"),
    ("method-trains-nothing", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--method", "zero-shot"],
     None, "--distill-from trains a student"),
    ("hidden-from-an-ensemble", lambda ids, tmp: ["--distill-from", ids["ensemble"], "--distill-hidden", "auto"],
     None, "is an output ensemble, which has no hidden states of its own"),
    ("hidden-pairs-text", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--distill-hidden", "1-2"],
     None, "--distill-hidden 1-2: expected auto or pairs"),
    ("hidden-layer-0", lambda ids, tmp: ["--distill-from", ids["tiny-sentiment"], "--distill-hidden", "0:1"],
     None, "layer numbers start at 1"),
    ("hidden-without-teacher", lambda ids, tmp: ["--distill-hidden", "auto"], None,
     "--distill-hidden needs a teacher"),
]


@pytest.mark.parametrize("make_args, setup, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_distillation_input_is_one_line_exit_2_and_changes_nothing(recorded, results, ids, encoder_dir, tmp_path,
                                                                       monkeypatch, capsys, make_args, setup,
                                                                       message):
    if setup == "remove_model":
        _remove_saved_model(results, ids)
    elif setup == "edit_data":
        _edit_teacher_data(recorded, tmp_path, monkeypatch)
    args = make_args(ids, tmp_path)
    before = _snapshot(results)
    capsys.readouterr()
    code = main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--epochs", "1", "--results",
                 str(results), "--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err, err
    assert message in err
    assert _snapshot(results) == before


def test_a_regression_teacher_takes_no_temperature(results, ids, encoder_dir, capsys):
    before = _snapshot(results)
    capsys.readouterr()
    assert main(["run", "--model", str(encoder_dir), "--task", "tiny-similarity", "--epochs", "1", "--results",
                 str(results), "--quiet", "--distill-from", ids["tiny-similarity"], "--distill-temperature", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "does not apply to a regression task" in err
    assert _snapshot(results) == before


LATE = [
    ("too-many-student-layers", "encoder_dir", ["--student-layers", "3"], "--student-layers 3: the model has 2 layers"),
    ("hidden-across-tokenizers", "decoder_dir", ["--distill-hidden", "auto"], "reads other tokens than the student"),
    ("hidden-layer-the-student-lacks", "encoder_dir", ["--distill-hidden", "5:1"], "the student has 2 layers"),
]


@pytest.mark.parametrize("model, args, message", [case[1:] for case in LATE], ids=[case[0] for case in LATE])
def test_what_the_student_model_decides_is_refused_before_the_teacher_runs(request, results, ids, capsys, model,
                                                                            args, message):
    before = _snapshot(results)
    capsys.readouterr()
    code = main(["run", "--model", str(request.getfixturevalue(model)), "--task", "tiny-sentiment", "--epochs", "1",
                 "--results", str(results), "--quiet", "--distill-from", ids["tiny-sentiment"], *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err, err
    assert message in err
    assert _snapshot(results) == before  # fails: <teacher>.teacher-outputs.pt was written
