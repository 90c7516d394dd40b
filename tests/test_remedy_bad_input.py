"""Bad remedy input: one line, exit 2, nothing recorded changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from distill_fixtures import _snapshot
from recorded_run import fresh_results, record_tiny_run

from harness.cli.main import main
from harness.methods.base import METHODS
from harness.methods.full import FullFineTuning


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, encoder_dir) -> Path:
    """One recorded tiny run, so that each case can show it is left as it was."""
    return record_tiny_run(tmp_path_factory.mktemp("remedy-bad"), encoder_dir)


@pytest.fixture()
def results(recorded, tmp_path, monkeypatch) -> Path:
    return fresh_results(recorded, tmp_path, monkeypatch)


def _lines(tmp: Path, *rows: object) -> str:
    path = tmp / "paraphrases.jsonl"
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return str(path)


BAD = [
    ("unknown-perturbation", "tiny-sentiment", lambda tmp: ["--augment", "typoz"], "unknown perturbation 'typoz'"),
    ("not-ner-safe", "tiny-ner", lambda tmp: ["--augment", "extra_whitespace"],
     "perturbation extra_whitespace does not apply to token_classification tasks"),
    ("family-not-ner-safe", "tiny-ner", lambda tmp: ["--augment", "spacing"], "no perturbation of family spacing"),
    ("prob-above-1", "tiny-sentiment", lambda tmp: ["--augment", "typos", "--augment-prob", "1.5"],
     "--augment-prob 1.5: expected a number from 0 to 1"),
    ("negative-copies", "tiny-sentiment", lambda tmp: ["--augment", "typos", "--augment-copies", "-1"],
     "--augment-copies -1: expected a whole number from 0 to 100"),
    ("nothing-perturbed", "tiny-sentiment", lambda tmp: ["--augment", "typos", "--augment-prob", "0"],
     "perturbs no training example"),
    ("prob-without-augment", "tiny-sentiment", lambda tmp: ["--augment-prob", "0.3"], "--augment-prob needs --augment"),
    ("epsilon-0", "tiny-sentiment", lambda tmp: ["--adversarial", "fgm", "--adv-epsilon", "0"],
     "--adv-epsilon 0: expected a number above 0"),
    ("epsilon-nan", "tiny-sentiment", lambda tmp: ["--adversarial", "fgm", "--adv-epsilon", "nan"],
     "--adv-epsilon nan: expected a number above 0"),
    ("pgd-steps-0", "tiny-sentiment", lambda tmp: ["--adversarial", "pgd", "--adv-steps", "0"],
     "--adv-steps 0: expected a whole number from 1"),
    ("alpha-with-fgm", "tiny-sentiment", lambda tmp: ["--adversarial", "fgm", "--adv-alpha", "0.1"],
     "--adv-alpha does not apply to --adversarial fgm"),
    ("unknown-adversary", "tiny-sentiment", lambda tmp: ["--adversarial", "smart"], "Invalid value for '--adversarial'"),
    ("epsilon-without-adversary", "tiny-sentiment", lambda tmp: ["--adv-epsilon", "1"],
     "--adv-epsilon needs --adversarial"),
    ("prompting-trains-nothing", "tiny-sentiment", lambda tmp: ["--adversarial", "fgm", "--method", "zero-shot"],
     "--method zero-shot trains nothing"),
    ("unreachable-embeddings", "tiny-sentiment", lambda tmp: ["--adversarial", "fgm", "--method", "sealed"],
     "--adversarial cannot train --method sealed: it feeds the model embeddings of its own"),
    ("paraphrase-unknown-id", "tiny-sentiment",
     lambda tmp: ["--augment-file", _lines(tmp, {"id": "train-999", "text": "a fine film"})],
     "1 id(s) are not training examples of the task, such as 'train-999'"),
    ("paraphrase-wrong-field", "tiny-sentiment",
     lambda tmp: ["--augment-file", _lines(tmp, {"id": "train-0", "sentence": "a fine film"})],
     "line 1: unknown field sentence"),
    ("paraphrase-not-json", "tiny-sentiment", lambda tmp: ["--augment-file", _lines(tmp, "{id: train-0")],
     "line 1: not JSON"),
    ("paraphrase-missing-file", "tiny-sentiment", lambda tmp: ["--augment-file", str(tmp / "nowhere.jsonl")],
     "no such file"),
    ("paraphrases-for-ner", "tiny-ner", lambda tmp: ["--augment-file", _lines(tmp, {"id": "train-0", "text": "x"})],
     "a paraphrase would need new tags"),
]


@pytest.fixture()
def sealed_method(monkeypatch):
    """A method plugin that says its input embeddings cannot be reached."""
    sealed = FullFineTuning(name="sealed", description="a method that feeds its own embeddings",
                            no_adversarial_because="it feeds the model embeddings of its own")
    monkeypatch.setitem(METHODS._items, "sealed", sealed)


@pytest.mark.parametrize("task, make_args, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_remedy_input_is_one_line_exit_2_and_changes_nothing(results, encoder_dir, tmp_path, capsys,
                                                                 sealed_method, task, make_args, message):
    args = make_args(tmp_path)
    before = _snapshot(results)
    capsys.readouterr()
    code = main(["run", "--model", str(encoder_dir), "--task", task, "--epochs", "1", "--results", str(results),
                 "--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and message in err, err
    assert len(lines) == 1 or lines[0].startswith("Usage:"), err  # click's own usage errors come with a usage line
    assert _snapshot(results) == before


def test_augment_with_a_teacher_is_refused(results, encoder_dir, capsys):
    capsys.readouterr()
    code = main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--results", str(results), "--quiet",
                 "--augment", "typos", "--distill-from", "ffffffff"])
    assert code == 2
    assert "--augment with --distill-from" in capsys.readouterr().err
