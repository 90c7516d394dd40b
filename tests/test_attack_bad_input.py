"""Bad attack input: one line, exit 2, nothing recorded changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from distill_fixtures import _snapshot
from recorded_run import fresh_results, record_tiny_run

from harness.cli.main import main


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, encoder_dir) -> Path:
    """One recorded tiny run with its saved model, so each case can show it is left as it was."""
    return record_tiny_run(tmp_path_factory.mktemp("attack-bad"), encoder_dir, "--save-model")


@pytest.fixture()
def results(recorded, tmp_path, monkeypatch) -> Path:
    return fresh_results(recorded, tmp_path, monkeypatch)


BAD = [
    ("unknown-attack", "tiny-sentiment", ["--attack", "wrod"], "unknown attack 'wrod'; did you mean word?"),
    ("attack-for-another-kind", "tiny-sentiment", ["--attack", "ner"],
     "attack ner does not fit task tiny-sentiment: it attacks token classification tasks"),
    ("word-attack-on-ner", "tiny-ner", ["--attack", "word"], "use ner"),
    ("attack-for-another-language", "tiny-sentiment", ["--attack", "zh_char"],
     "attack zh_char does not fit task tiny-sentiment: it attacks zh text and this task's text is en"),
    ("regression", "tiny-similarity", ["--attack", "word"], "not regression"),
    ("budget-0", "tiny-sentiment", ["--attack", "word", "--attack-budget", "0"],
     "--attack-budget 0: expected a whole number from 1 to 100000"),
    ("budget-negative", "tiny-sentiment", ["--attack", "word", "--attack-budget", "-5"],
     "--attack-budget -5: expected a whole number from 1"),
    ("share-0", "tiny-sentiment", ["--attack", "char", "--attack-max-share", "0"],
     "--attack-max-share 0: expected a number above 0 and at most 1"),
    ("share-above-1", "tiny-sentiment", ["--attack", "char", "--attack-max-share", "1.2"],
     "--attack-max-share 1.2: expected a number above 0 and at most 1"),
    ("budget-without-attack", "tiny-sentiment", ["--attack-budget", "50"], "--attack-budget needs --attack"),
    ("attack-named-twice", "tiny-sentiment", ["--attack", "word,word"], "names an attack twice"),
    ("no-attack-named", "tiny-sentiment", ["--attack", ","], "--attack names no attack"),
]


@pytest.mark.parametrize("task, args, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_attack_input_is_one_line_exit_2_and_changes_nothing(results, encoder_dir, capsys, task, args, message):
    before = _snapshot(results)
    capsys.readouterr()
    code = main(["run", "--model", str(encoder_dir), "--task", task, "--epochs", "1", "--results", str(results),
                 "--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err and message in err, err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert _snapshot(results) == before


@pytest.mark.parametrize("args, message", [
    (["--attack", "wrod"], "unknown attack 'wrod'"),
    (["--attack", "zh_char"], "this task's text is en"),
    (["--attack", "char", "--attack-budget", "0"], "--attack-budget 0"),
])
def test_bad_attack_of_a_recorded_run_changes_nothing(results, capsys, args, message):
    before = _snapshot(results)
    capsys.readouterr()
    code = main(["robustness", "--results", str(results), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "Traceback" not in err, err
    assert _snapshot(results) == before


def test_showing_the_attacks_of_a_run_never_attacked_says_how(results, capsys):
    run_id = next((results / "tiny-sentiment").glob("*[0-9a-f].json")).stem
    capsys.readouterr()
    assert main(["attacks", "--run", run_id, "--results", str(results)]) == 2
    assert "was not attacked; run `harness robustness --run" in capsys.readouterr().err
