"""Zero/few-shot prompting: prompt definitions, demonstrations, calibration, and `harness run` end to end."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from prediction_rows import rows_text
from user_tasks import SENTIMENT

from harness.cli.main import main
from harness.errors import HarnessError
from harness.pipeline import plan
from harness.prompting.calibration import (
    calibrate,
    choice_probabilities,
    expected_calibration_error,
)
from harness.prompting.demonstrations import build_context, draw_demonstrations
from harness.tasks import Example, validate_task_file


def _task_with_prompts(tmp_path: Path, prompts) -> Path:
    raw = yaml.safe_load(SENTIMENT)
    raw["prompts"] = prompts
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


# -- prompt definitions -------------------------------------------------------------------

@pytest.mark.parametrize("prompt, message", [
    ({"name": "p", "template": "{{text}}", "choices": []}, "non-empty list"),
    ({"name": "p", "template": "{{text}}", "choices": ["yes", "yes"]}, "'yes' more than once"),
    ({"name": "p", "template": "{{text}}", "choices": ["a", "b", "c"]}, "one text per label"),
    ({"name": "p", "template": "{{text", "choices": ["a", "b"]}, "a valid Jinja template"),
    ({"name": "p", "template": "{{text}}", "choices": ["a", "b"], "colour": 1}, "one of name, template"),
    ({"name": "p", "template": "{{text}}", "choices": ["a", "b"], "headline_scoring": "max"}, "sum, mean"),
])
def test_bad_prompt_definitions_are_refused(tmp_path, prompt, message):
    with pytest.raises(HarnessError, match=message):
        validate_task_file(_task_with_prompts(tmp_path, [prompt]))


def test_prompts_stay_out_of_the_task_hash_but_change_the_run_id(tmp_path):
    first = validate_task_file(_task_with_prompts(tmp_path, [{"name": "p", "template": "{{text}} A:",
                                                              "choices": ["a", "b"]}]))
    second = validate_task_file(_task_with_prompts(tmp_path, [{"name": "p", "template": "{{text}} Answer:",
                                                               "choices": ["a", "b"]}]))
    assert first.hash == second.hash
    assert first.prompts[0].hash != second.prompts[0].hash


def test_choices_may_map_labels(tmp_path):
    task = validate_task_file(_task_with_prompts(tmp_path, [{"name": "p", "template": "{{text}}",
                                                             "choices": {"1": "good", "0": "bad"}}]))
    assert task.prompts[0].choices == ("bad", "good")


def test_template_naming_a_missing_field_is_refused_before_scoring(env, causal_lm_dir, tmp_path):
    raw = yaml.safe_load(SENTIMENT)
    raw["prompts"] = [{"name": "p", "template": "{{review}} Answer:", "choices": ["a", "b"]}]
    (env / "my_tasks" / "tiny-sentiment.yaml").write_text(yaml.safe_dump(raw))
    code = main(["run", "--model", str(causal_lm_dir), "--method", "zero-shot", "--task", "tiny-sentiment",
                 "--results", str(env / "results"), "--quiet"])
    assert code != 0
    assert not (env / "results" / "tiny-sentiment").exists() or not list((env / "results").rglob("*.json"))


def test_prompts_only_on_classification_tasks(tmp_path):
    raw = yaml.safe_load(SENTIMENT)
    raw.update(kind="regression", fields={"text": "sentence", "score": "label"}, metrics=["pearson"],
               headline="pearson", prompts=[{"name": "p", "template": "{{text}}", "choices": ["a", "b"]}])
    raw.pop("labels")
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(HarnessError, match="classification tasks only"):
        validate_task_file(path)


# -- demonstrations -----------------------------------------------------------------------

TRAIN = [Example(id=f"train-{i}", text=f"text {i}", label=int(i % 5 == 0)) for i in range(40)]


def test_demonstrations_repeat_for_a_seed_and_differ_across_seeds():
    first = [e.id for e in draw_demonstrations(TRAIN, 8, seed=3)]
    again = [e.id for e in draw_demonstrations(list(reversed(TRAIN)), 8, seed=3)]  # order of reading is irrelevant
    assert first == again and len(set(first)) == 8
    assert first != [e.id for e in draw_demonstrations(TRAIN, 8, seed=4)]


def test_balanced_demonstrations_spread_over_labels():
    counts = Counter(e.label for e in draw_demonstrations(TRAIN, 8, seed=0, balanced=True))
    assert counts == {0: 4, 1: 4}


def test_more_demonstrations_than_training_examples_is_refused():
    with pytest.raises(HarnessError, match="has only 40 examples"):
        draw_demonstrations(TRAIN, 41, seed=0)


def test_context_puts_answered_demonstrations_before_the_example(tmp_path):
    task = validate_task_file(_task_with_prompts(tmp_path, [{"name": "p", "template": "Q: {{text}}\nA:",
                                                             "choices": ["no", "yes"], "instruction": "Say."}]))
    prompt = task.prompts[0]
    context = build_context(prompt, Example(id="x", text="last"), [TRAIN[0], TRAIN[1]])
    assert context == "Say.\n\nQ: text 0\nA: yes\n\nQ: text 1\nA: no\n\nQ: last\nA:"


# -- calibration --------------------------------------------------------------------------

def test_contextual_calibration_divides_out_the_prior():
    probabilities = np.array([[0.7, 0.3], [0.9, 0.1]])
    calibrated = calibrate(probabilities, np.array([0.8, 0.2]))
    # [0.7/0.8, 0.3/0.2] = [0.875, 1.5] -> normalised
    assert calibrated[0] == pytest.approx([0.875 / 2.375, 1.5 / 2.375])
    assert calibrated[1] == pytest.approx([1.125 / 1.625, 0.5 / 1.625])
    assert calibrated.argmax(axis=1).tolist() == [1, 0]


def test_expected_calibration_error_on_constructed_cases():
    # confidence 0.8 everywhere and 8 of 10 right: perfectly calibrated
    probabilities = np.array([[0.8, 0.2]] * 10)
    assert expected_calibration_error(probabilities, [0] * 8 + [1] * 2) == pytest.approx(0.0)
    # fully confident and half right: ECE 0.5
    assert expected_calibration_error(np.array([[1.0, 0.0]] * 4), [0, 0, 1, 1]) == pytest.approx(0.5)
    assert choice_probabilities([[0.0, 0.0]]).tolist() == [[0.5, 0.5]]


# -- harness run end to end ------------------------------------------------------------------

def _run(env, model_dir, *args) -> dict:
    assert main(["run", "--model", str(model_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--quiet", *args]) == 0
    records = sorted((env / "results" / "tiny-sentiment").glob("*[0-9a-f].json"), key=lambda p: p.stat().st_mtime)
    return json.loads(records[-1].read_text())


def test_zero_shot_run_records_prompt_scores_and_calibration(env, causal_lm_dir):
    record = _run(env, causal_lm_dir, "--method", "zero-shot", "--zero-shot-calibrate", "true")
    prompting = record["prompting"]
    assert prompting["scorer"] == "loglikelihood" and prompting["k"] == 0 and prompting["calibrated"]
    assert record["spec"]["prompt_hash"] == prompting["prompt_hash"]
    assert record["spec"]["method_options"]["prompt"] == "question"  # the default, named
    split = prompting["splits"]["dev"]
    assert set(split["uncalibrated_metrics"]) == {"sum", "mean"} and 0 <= split["expected_calibration_error"] <= 1
    assert len(prompting["content_free_prior"]) == 2
    rows = rows_text(env / "results" / "tiny-sentiment" / f"{record['run_id']}.predictions.jsonl.gz").splitlines()
    row = json.loads(rows[0])
    assert len(row["loglikelihood_sum"]) == 2 and len(row["loglikelihood_mean"]) == 2
    assert record["headline"]["value"] == record["metrics"]["dev"]["values"]["accuracy"]


def test_few_shot_demonstrations_are_the_same_for_every_model(env, causal_lm_dir, masked_lm_dir, encoder_dir):
    ids = []
    for model, scorer in ((causal_lm_dir, "loglikelihood"), (masked_lm_dir, "cloze"), (encoder_dir, "similarity")):
        record = _run(env, model, "--method", "few-shot", "--few-shot-k", "2", "--few-shot-balanced", "true")
        assert record["prompting"]["scorer"] == scorer
        ids.append(record["prompting"]["demonstration_ids"])
    assert len(ids[0]) == 2 and ids[0] == ids[1] == ids[2]


def test_named_prompt_is_a_different_run(env, causal_lm_dir):
    first = _run(env, causal_lm_dir, "--method", "zero-shot")
    second = _run(env, causal_lm_dir, "--method", "zero-shot", "--zero-shot-prompt", "it-was")
    assert first["run_id"] != second["run_id"] and second["prompting"]["headline_scoring"] == "mean"


@pytest.mark.parametrize("args, message", [
    (["--method", "zero-shot", "--zero-shot-prompt", "nope"], "has no prompt 'nope'"),
    (["--method", "zero-shot", "--lr", "1e-3"], "does not apply to --method zero-shot"),
    (["--method", "few-shot", "--few-shot-k", "500"], "has only"),
])
def test_bad_prompting_input_is_one_line(env, causal_lm_dir, capsys, args, message):
    code = main(["run", "--model", str(causal_lm_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--quiet", *args])
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err


def test_loglikelihood_scorer_on_an_encoder_is_refused(env, encoder_dir, capsys):
    code = main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--quiet", "--method", "zero-shot", "--zero-shot-scorer", "loglikelihood"])
    assert code != 0 and "not a causal language model" in capsys.readouterr().err


def test_run_spec_for_prompting_has_no_training_options(env):
    spec, _ = plan("minilm", "few-shot", "tiny-sentiment")
    assert spec.training == {} and spec.method_options["k"] == 8 and spec.prompt_hash


def test_fit_context_drops_demonstrations_instead_of_failing(env, causal_lm_dir, capsys):
    args = ["--method", "few-shot", "--few-shot-k", "16"]
    code = main(["run", "--model", str(causal_lm_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--quiet", *args])
    assert code != 0 and "--few-shot-fit-context" in capsys.readouterr().err
    record = _run(env, causal_lm_dir, *args, "--few-shot-fit-context", "true")
    assert record["prompting"]["splits"]["dev"]["prompts_with_fewer_demonstrations"] > 0
    assert len(record["prompting"]["demonstration_ids"]) == 16
