"""Robustness reports: constructed cases for drops, changed shares and the worst case; `harness run --perturb`."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main
from harness.robustness import robustness_report, worst_case_predictions
from harness.tasks import Example, kinds

GOLD = [Example(id=f"x{i}", text=f"t{i}", label=1) for i in range(4)]


def accuracy(values, examples):
    return {"accuracy": sum(v == e.label for v, e in zip(values, examples)) / len(examples)}


def test_worst_case_counts_an_example_only_if_right_under_every_perturbation():
    report = robustness_report(kinds.TEXT_CLASSIFICATION, (GOLD, [1, 1, 0, 1]),
                               {"a": (GOLD, [1, 0, 0, 1]), "b": (GOLD, [1, 1, 1, 0])}, accuracy)
    assert report["clean"]["accuracy"] == 0.75
    assert report["perturbations"]["a"]["metrics"]["accuracy"] == 0.5
    assert report["perturbations"]["a"]["drop"]["accuracy"] == pytest.approx(0.25)
    assert report["perturbations"]["a"]["changed_share"] == 0.25
    assert report["perturbations"]["b"]["changed_share"] == 0.5  # x2 got right, x3 got wrong: both changed
    assert report["worst_case"]["accuracy"] == 0.25  # only x0 is right everywhere
    assert report["worst_case_drop"]["accuracy"] == pytest.approx(0.5)


def test_no_perturbation_leaves_the_clean_scores():
    report = robustness_report(kinds.TEXT_CLASSIFICATION, (GOLD, [1, 0, 1, 1]), {}, accuracy)
    assert report["worst_case"] == report["clean"]


def test_regression_worst_case_is_the_farthest_prediction():
    gold = [Example(id="a", text="t", label=2.0), Example(id="b", text="t", label=4.0)]
    _, values = worst_case_predictions(kinds.REGRESSION, (gold, [2.5, 4.0]), [(gold, [1.0, 4.2]), (gold, [2.1, 3.0])])
    assert values == [1.0, 3.0]


def test_ner_worst_case_takes_the_version_with_most_entity_errors_and_its_own_gold_tags():
    labels = ["O", "B-PER", "I-PER", "B-LOC"]
    clean = [Example(id="s", words=("Ann", "went", "home"), tags=(1, 0, 0))]
    swapped = [Example(id="s", words=("Mary", "Jane", "went", "home"), tags=(1, 2, 0, 0))]
    examples, values = worst_case_predictions(kinds.TOKEN_CLASSIFICATION, (clean, [(1, 0, 0)]),
                                              [(swapped, [(3, 0, 0, 0)])], labels)
    assert examples[0].words == swapped[0].words and values == [(3, 0, 0, 0)]


def _run(env, model_dir, *args) -> int:
    return main(["run", "--model", str(model_dir), "--results", str(env / "results"), "--epochs", "1", "--quiet",
                 *args])


@pytest.mark.parametrize("task, perturb", [("tiny-sentiment", "lowercase,char_swap:0.5"),
                                           ("tiny-similarity", "uppercase"), ("tiny-ner", "all")])
def test_run_records_robustness_per_split(env, encoder_dir, task, perturb):
    assert _run(env, encoder_dir, "--task", task, "--perturb", perturb) == 0
    (path,) = (env / "results" / task).glob("*[0-9a-f].json")
    record = json.loads(path.read_text())
    assert record["spec"]["perturb"] == perturb
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    report = record["robustness"][split]
    assert report["clean"][metric] == pytest.approx(record["metrics"][split]["values"][metric])
    assert report["perturbations"] and all(0 <= r["changed_share"] <= 1 for r in report["perturbations"].values())
    if task == "tiny-sentiment":  # accuracy counts errors; F1 and correlations need not fall with them
        assert report["worst_case"][metric] <= min(r["metrics"][metric] for r in report["perturbations"].values())
    if task == "tiny-ner":
        assert "contract" not in report["perturbations"] and "entity_swap" in report["perturbations"]


def test_runs_with_and_without_perturbations_are_different_runs(env, encoder_dir):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment") == 0
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--perturb", "uppercase") == 0
    assert len(list((env / "results" / "tiny-sentiment").glob("*[0-9a-f].json"))) == 2


@pytest.mark.parametrize("task, perturb, message", [
    ("tiny-sentiment", "typoz", "unknown perturbation 'typoz'"),
    ("tiny-sentiment", "char_swap:1.5", "(0, 1]"),
    ("tiny-ner", "contract", "does not apply to token_classification"),
])
def test_bad_perturbations_fail_before_training(env, encoder_dir, capsys, task, perturb, message):
    assert _run(env, encoder_dir, "--task", task, "--perturb", perturb) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (env / "results").exists() or not list((env / "results").rglob("*.json"))


def test_perturb_command_prints_clean_and_perturbed(env, capsys):
    assert main(["perturb", "--task", "tiny-sentiment", "--name", "uppercase", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "uppercase" in out and "A CHARMING" in out.upper() and "clean" in out


def test_zero_shot_runs_are_perturbed_too(env, causal_lm_dir):
    assert main(["run", "--model", str(causal_lm_dir), "--results", str(env / "results"), "--quiet", "--task",
                 "tiny-sentiment", "--method", "zero-shot", "--perturb", "uppercase,char_delete"]) == 0
    (path,) = (env / "results" / "tiny-sentiment").glob("*[0-9a-f].json")
    report = json.loads(path.read_text())["robustness"]["dev"]
    assert set(report["perturbations"]) == {"uppercase", "char_delete"}
    assert report["worst_case"]["accuracy"] <= report["clean"]["accuracy"]


def test_raw_text_columns_follow_the_perturbed_text():
    """Prompts may name the raw column ({{sentence}}) rather than {{text}}: both must be perturbed."""
    from harness.perturb import create, perturb_example

    example = Example(id="x", text="a charming movie", label=1, fields={"sentence": " a charming movie", "label": "1"})
    messy = perturb_example(example, create("uppercase"), seed=0)
    assert messy.text == "A CHARMING MOVIE" and messy.fields["sentence"] == "A CHARMING MOVIE"
    assert messy.fields["label"] == "1"


def test_robustness_command_adds_perturbed_scores_to_saved_runs(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--save-model") == 0
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--seed", "1") == 0  # no saved model
    assert main(["robustness", "--results", str(env / "results"), "--perturb", "uppercase,char_swap"]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 run(s) without a saved model" in out
    records = [json.loads(p.read_text()) for p in (env / "results" / "tiny-sentiment").glob("*[0-9a-f].json")]
    (saved,) = [r for r in records if r.get("artifact")]
    report = saved["robustness"]["dev"]
    assert set(report["perturbations"]) == {"uppercase", "char_swap"}
    # recomputed clean predictions equal the recorded ones
    assert report["clean"]["accuracy"] == pytest.approx(saved["metrics"]["dev"]["values"]["accuracy"])
    assert all("robustness" not in r for r in records if not r.get("artifact"))


def test_show_puts_runs_side_by_side(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--perturb", "uppercase") == 0
    assert _run(env, encoder_dir, "--task", "tiny-sentiment", "--perturb", "uppercase", "--method", "lora") == 0
    capsys.readouterr()
    assert main(["robustness", "--results", str(env / "results"), "--show"]) == 0
    out = capsys.readouterr().out
    assert "· full ·" in out and "· lora ·" in out and "worst case" in out and "uppercase" in out
