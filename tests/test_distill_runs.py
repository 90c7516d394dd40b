"""Distillation end to end on the tiny tasks: `harness run --distill-from` with a recorded run or an output ensemble
as the teacher, the teacher's outputs cached, exact repeats, NER across two tokenizers, transfer data from a file,
a layer-cut student saved and re-evaluated."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from distill_fixtures import (
    STUDENT,
    TASKS,
    TEACHER,
    _cache,
    _distil,
    _load,
    _new_record,
    _record,
)
from safetensors.torch import load_file
from transformers import AutoConfig, BertModel

from harness.artifact import WEIGHTS, load_trained
from harness.cli.main import main
from harness.distill.teacher import member_outputs
from harness.encode import collate, encode
from harness.models.layers import layers_of
from harness.models.load import load_tokenizer
from harness.record.saved_model import open_saved_run
from harness.record.store import ResultStore
from harness.tasks import Example, load_task, prepare_data


@pytest.mark.parametrize("task", TASKS)
def test_a_distilled_run_records_its_teacher_and_retention(results, ids, encoder_dir, capsys, task):
    teacher = _load(results, task, ids[task])
    assert not _cache(results, task, ids[task]).exists()
    record = _distil(capsys, results, encoder_dir, task, ids[task][:8])  # a short id names the teacher
    distill = record["distill"]
    assert record["spec"]["student_layers"] == 1
    assert record["spec"]["distill"]["teacher"] == distill["teacher"] == ids[task] == teacher["run_id"]
    assert distill["teacher_kind"] == "run" and distill["teacher_method"] == "full"
    assert distill["teacher_model"] == str(encoder_dir)
    assert distill["teacher_headline"] == teacher["headline"]
    assert distill["teacher_parameters"] == teacher["model"]["parameters"] > record["model"]["parameters"]
    assert distill["teacher_file_sha256"] == teacher["data"]["file_sha256"] == record["data"]["file_sha256"]
    assert distill["alpha"] == 0.5
    assert distill.get("temperature") == (None if task == "tiny-similarity" else 2.0)
    assert distill["unlabeled_examples"] == 0
    train_size = record["data"]["train_size"]
    assert distill["teacher_outputs"]["computed"] == train_size and distill["teacher_outputs"]["cached"] == 0
    assert distill["teacher_outputs"]["seconds"] >= 0

    headline = teacher["headline"]
    student = record["metrics"][headline["split"]]["values"][headline["metric"]]
    if headline["value"]:
        assert distill["headline_retention"] == pytest.approx(student / headline["value"])
    else:  # a tiny teacher may score 0 (entity F1 on a handful of sentences): no ratio then
        assert distill["headline_retention"] is None
    assert set(distill["retention"]) == set(teacher["metrics"])
    for split, values in distill["retention"].items():
        for metric, share in values.items():
            taught = teacher["metrics"][split]["values"][metric]
            mine = record["metrics"][split]["values"][metric]
            assert share == (pytest.approx(mine / taught) if taught else None)

    saved = torch.load(_cache(results, task, ids[task]), weights_only=True)
    assert saved["made_for"]["teacher"] == ids[task]
    data = prepare_data(load_task(task), None, seed=0)
    assert set(saved["outputs"]) == {e.id for e in data.train} and len(saved["outputs"]) == train_size


def test_a_second_student_reads_the_teachers_outputs_from_the_cache(results, ids, encoder_dir, decoder_dir, capsys):
    task, teacher = "tiny-sentiment", ids["tiny-sentiment"]
    first = _distil(capsys, results, encoder_dir, task, teacher)
    cache = _cache(results, task, teacher)
    written = cache.read_bytes()
    second = _distil(capsys, results, encoder_dir, task, teacher, "--seed", "1")
    train_size = second["data"]["train_size"]
    assert second["run_id"] != first["run_id"]
    assert second["distill"]["teacher_outputs"] == {"computed": 0, "cached": train_size, "seconds": 0.0}
    assert cache.read_bytes() == written  # nothing to add: not rewritten
    third = _distil(capsys, results, decoder_dir, task, teacher, "--distill-alpha", "0.2",
                    "--distill-temperature", "4")  # another model, settings and tokenizer: the same outputs
    assert third["distill"]["teacher_outputs"]["cached"] == train_size
    assert third["distill"]["alpha"] == 0.2 and third["distill"]["temperature"] == 4.0


def test_a_distilled_run_repeats_exactly_with_or_without_the_cache(recorded, results, ids, encoder_dir, tmp_path,
                                                                    capsys):
    task, teacher = "tiny-ner", ids["tiny-ner"]
    other = tmp_path / "other-results"
    shutil.copytree(recorded["root"] / "results", other)
    _distil(capsys, other, encoder_dir, task, teacher, "--seed", "5")  # fills this folder's cache first
    a = _distil(capsys, results, encoder_dir, task, teacher)
    b = _distil(capsys, other, encoder_dir, task, teacher)
    assert a["distill"]["teacher_outputs"]["computed"] > 0 and b["distill"]["teacher_outputs"]["computed"] == 0
    assert a["run_id"] == b["run_id"]
    assert a["metrics"] == b["metrics"]
    assert [h["train_loss"] for h in a["training"]["history"]] == [h["train_loss"] for h in b["training"]["history"]]
    assert (results / task / f"{a['run_id']}.predictions.jsonl.gz").read_bytes() == \
        (other / task / f"{b['run_id']}.predictions.jsonl.gz").read_bytes()
    capsys.readouterr()
    assert main(["verify", a["run_id"], "--results", str(results), "--quiet"]) == 0  # retrained with its teacher


def test_ner_teacher_outputs_line_up_per_word_across_tokenizers(results, ids, decoder_dir):
    task = load_task("tiny-ner")
    store = ResultStore(results)
    record = _load(results, "tiny-ner", ids["tiny-ner"])
    saved = open_saved_run(store, record, task, data_dir=None, device="cpu", missing="")
    examples = prepare_data(task, None, seed=0).train
    outputs = member_outputs(saved, examples)

    assert len(outputs) == len(examples)
    teacher_features = encode(examples, saved.tokenizer, task.kind, saved.spec["max_length"], False,
                              task.word_separator)
    for example, output, feature in zip(examples, outputs, teacher_features):
        assert output.shape == (len(example.words), len(task.labels))  # one row per word, not per token
        assert torch.allclose(output.exp().sum(dim=-1), torch.ones(len(example.words)), atol=1e-5)
        one = collate([feature], saved.tokenizer.pad_token_id, task.kind)  # the teacher alone on this sentence
        one.pop("labels")
        with torch.no_grad():
            logits = saved.model(**one).logits[0].log_softmax(dim=-1)
        assert torch.allclose(output, logits[feature.word_starts], atol=1e-5)

    student_tokenizer = load_tokenizer(str(decoder_dir))
    student_features = encode(examples, student_tokenizer, task.kind, 32, True, task.word_separator)
    assert any(len(s) != len(t) or s.word_starts != t.word_starts  # the two tokenizers really split differently
               for s, t in zip(student_features, teacher_features))
    for feature, output in zip(student_features, outputs):
        feature.teacher = output
    batch = collate(student_features[:5], student_tokenizer.pad_token_id, task.kind)
    assert batch["teacher"].shape == (*batch["input_ids"].shape, len(task.labels))
    for row, (feature, output) in enumerate(zip(student_features[:5], outputs[:5])):
        expected_mask = torch.zeros(batch["input_ids"].shape[1], dtype=torch.bool)
        expected_mask[feature.word_starts] = True
        assert torch.equal(batch["teacher_mask"][row], expected_mask)
        assert torch.equal(batch["teacher"][row, feature.word_starts], output)
        assert not batch["teacher"][row, ~expected_mask].any()
        labelled = batch["labels"][row] != -100
        assert torch.equal(labelled, expected_mask)  # the teacher's words are the gold labels' words


def test_a_word_the_teacher_cut_off_gets_no_teacher_position(decoder_dir):
    tokenizer = load_tokenizer(str(decoder_dir))
    example = Example(id="x", words=("Peter", "went", "to", "Brussels"), tags=(1, 0, 0, 3))
    (feature,) = encode([example], tokenizer, "token_classification", 32, True, " ")
    teacher = torch.log_softmax(torch.randn(4, 5), dim=-1)
    teacher[3] = math.nan  # past the teacher's max_length
    feature.teacher = teacher
    batch = collate([feature], tokenizer.pad_token_id, "token_classification")
    assert batch["teacher_mask"][0].sum() == 3 and not batch["teacher_mask"][0, feature.word_starts[3]]
    assert torch.isfinite(batch["teacher"]).all()


def test_ner_distils_across_tokenizers_end_to_end(results, ids, decoder_dir, capsys):
    record = _distil(capsys, results, decoder_dir, "tiny-ner", ids["tiny-ner"])
    assert record["model"]["is_decoder"] and record["distill"]["teacher_model"] != record["spec"]["model"]
    assert record["distill"]["teacher_outputs"]["computed"] == record["data"]["train_size"]
    assert all(math.isfinite(h["train_loss"]) for h in record["training"]["history"])


@pytest.mark.parametrize("weights", [None, (2.0, 1.0, 1.0)])
def test_an_output_ensemble_teaches(results, ids, encoder_dir, capsys, weights):
    task, ensemble_id = "tiny-sentiment", ids["ensemble"]
    if weights is not None:
        before = set((results / task).glob("*.json"))
        assert main(["ensemble", *ids["members"], "--weights", ",".join(map(str, weights)), "--results",
                     str(results), "--n-boot", "200"]) == 0
        ensemble_id = _new_record(results, task, before)
    record = _distil(capsys, results, encoder_dir, task, ensemble_id)
    distill = record["distill"]
    assert distill["teacher"] == ensemble_id and distill["teacher_kind"] == "ensemble"
    assert distill["teacher_method"] == "ensemble"
    assert distill["teacher_headline"] == _load(results, task, ensemble_id)["headline"]
    assert distill["teacher_outputs"]["computed"] == record["data"]["train_size"]

    # its outputs are the log of its members' (weighted) mean probabilities
    cached = torch.load(_cache(results, task, ensemble_id), weights_only=True)["outputs"]
    task_def = load_task(task)
    examples = prepare_data(task_def, None, seed=0).train
    store = ResultStore(results)
    members = [member_outputs(open_saved_run(store, _load(results, task, member), task_def, data_dir=None,
                                             device="cpu", missing=""), examples) for member in ids["members"]]
    shares = [w / sum(weights) for w in weights] if weights else [1 / 3] * 3
    for i, example in enumerate(examples):
        mean = sum(share * m[i].exp() for share, m in zip(shares, members))
        assert torch.allclose(cached[example.id], mean.log(), atol=1e-5)
    assert any(not torch.allclose(cached[e.id], members[0][i], atol=1e-4) for i, e in enumerate(examples))


def test_transfer_data_from_a_file_and_a_saved_layer_cut_student(results, ids, encoder_dir, tmp_path, capsys):
    task = "tiny-sentiment"
    lines = ["a witty and charming film", "bleak and desperate", "the acting is a mess", "a gorgeous journey",
             "it is astounding"]
    file = tmp_path / "transfer.jsonl"
    file.write_text("".join(json.dumps({"text": line, **({"id": f"t{i}"} if i % 2 else {})}) + "\n"
                            for i, line in enumerate(lines)) + "\n")
    record = _distil(capsys, results, encoder_dir, task, ids[task], "--distill-unlabeled", str(file),
                     "--save-model", "--distill-alpha", "0.7")
    distill = record["distill"]
    assert distill["unlabeled"] == str(file) and distill["unlabeled_examples"] == len(lines)
    assert distill["unlabeled_sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()[:16]
    assert distill["teacher_outputs"]["computed"] == record["data"]["train_size"] + len(lines)
    cached = torch.load(_cache(results, task, ids[task]), weights_only=True)["outputs"]
    assert sum(key.startswith("unlabeled-") for key in cached) == len(lines)

    trained = load_trained(results / record["artifact"])
    assert layers_of(trained.model) == 1 and trained.model.config.num_hidden_layers == 1
    capsys.readouterr()
    assert main(["verify", "--eval-only", record["run_id"], "--results", str(results), "--quiet"]) == 0
    assert "evaluates exactly as recorded" in capsys.readouterr().out


def test_transfer_data_from_a_split_the_run_does_not_use(results, ids, encoder_dir, capsys):
    record = _distil(capsys, results, encoder_dir, "tiny-sentiment", ids["tiny-sentiment"], "--train-limit", "10",
                     "--distill-unlabeled", "train", "--distill-unlabeled-limit", "3")
    assert record["distill"]["unlabeled_examples"] == 3
    assert record["distill"]["teacher_outputs"]["computed"] + record["distill"]["teacher_outputs"]["cached"] == 13


# --- bad input: one line on stderr, exit 2, nothing in the results folder changed ---------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_alpha_1_trains_as_the_untaught_student_and_alpha_0_follows_the_teacher(results, ids, encoder_dir, capsys,
                                                                                  task):
    """All weight on the gold labels is the plain loss: the same training as without a teacher (whose loading
    draws no random numbers the student's depend on); all weight on the teacher trains another student."""
    capsys.readouterr()
    assert main(["run", "--model", str(encoder_dir), "--task", task, "--results", str(results), "--quiet", "--json",
                 *STUDENT]) == 0
    plain = json.loads(capsys.readouterr().out)
    gold_only = _distil(capsys, results, encoder_dir, task, ids[task], "--distill-alpha", "1")
    teacher_only = _distil(capsys, results, encoder_dir, task, ids[task], "--distill-alpha", "0")
    losses = [h["train_loss"] for h in plain["training"]["history"]]
    assert [h["train_loss"] for h in gold_only["training"]["history"]] == pytest.approx(losses, rel=1e-5)
    assert gold_only["metrics"] == plain["metrics"]
    assert [h["train_loss"] for h in teacher_only["training"]["history"]] != pytest.approx(losses, rel=1e-3)


TRANSFER_ROWS = {
    "tiny-ner": [{"words": ["Maria", "went", "to", "Tokyo"]}, {"words": ["Peter", "lives", "in", "China"]},
                 {"words": ["Japan", "won"], "id": "j"}],
    "tiny-similarity": [{"text": "a witty movie", "text_pair": "a charming film"},
                        {"text": "bleak and desperate", "text_pair": "the acting is astounding", "id": "b"},
                        {"text": "a mess of a movie", "text_pair": "it is a mess"}],
}


@pytest.mark.parametrize("task", sorted(TRANSFER_ROWS))
def test_transfer_files_for_words_and_pairs(results, ids, encoder_dir, tmp_path, capsys, task):
    file = tmp_path / "transfer.jsonl"
    file.write_text("".join(json.dumps(row) + "\n" for row in TRANSFER_ROWS[task]))
    record = _distil(capsys, results, encoder_dir, task, ids[task], "--distill-unlabeled", str(file))
    rows = len(TRANSFER_ROWS[task])
    assert record["distill"]["unlabeled_examples"] == rows
    assert record["distill"]["teacher_outputs"]["computed"] == record["data"]["train_size"] + rows
    assert all(math.isfinite(h["train_loss"]) for h in record["training"]["history"])
    cached = torch.load(_cache(results, task, ids[task]), weights_only=True)["outputs"]
    transfer = sorted(key for key in cached if key.startswith("unlabeled-"))
    assert len(transfer) == rows
    if task == "tiny-ner":
        assert sorted(cached[key].shape[0] for key in transfer) == [2, 4, 4]  # one row per word


def test_a_teacher_recorded_again_does_not_reuse_the_old_outputs(results, ids, encoder_dir, capsys):
    task, teacher = "tiny-sentiment", ids["tiny-sentiment"]
    first = _distil(capsys, results, encoder_dir, task, teacher)
    assert first["distill"]["teacher_outputs"]["computed"] == first["data"]["train_size"]
    teacher_record = _load(results, task, teacher)
    assert main(["run", "--model", str(encoder_dir), "--task", task, "--results", str(results), "--quiet",
                 *TEACHER, "--save-model", "--force"]) == 0  # the same teacher, recorded (and saved) again
    if _load(results, task, teacher)["created_at"] == teacher_record["created_at"]:
        pytest.skip("recorded again within the same second: created_at cannot tell the two recordings apart")
    second = _distil(capsys, results, encoder_dir, task, teacher, "--seed", "1")
    assert second["distill"]["teacher_outputs"]["computed"] == second["data"]["train_size"]
    assert torch.load(_cache(results, task, teacher), weights_only=True)["made_for"]["created_at"] == \
        _load(results, task, teacher)["created_at"]


@pytest.fixture(scope="module")
def wide_encoder_dir(tmp_path_factory, encoder_dir) -> Path:
    """The tiny encoder's tokenizer with a wider model (48 instead of 32): hidden states need a projection."""
    folder = tmp_path_factory.mktemp("wide-bert") / "model"
    shutil.copytree(encoder_dir, folder)
    config = AutoConfig.from_pretrained(encoder_dir)
    config.hidden_size, config.intermediate_size = 48, 96
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    return folder


def test_a_merge_teaches_hidden_states_through_a_projection_left_out_of_the_saved_student(
        results, encoder_dir, wide_encoder_dir, capsys):
    task = "tiny-sentiment"
    members = [_record(results, encoder_dir, task, "--epochs", "1", "--init-seed", "0", "--seed", str(seed),
                       "--save-model") for seed in (3, 4)]
    before = set((results / task).glob("*.json"))
    assert main(["merge", *members, "--results", str(results), "--n-boot", "200"]) == 0
    merge_id = _new_record(results, task, before)
    plain = _distil(capsys, results, wide_encoder_dir, task, merge_id)
    hidden = _distil(capsys, results, wide_encoder_dir, task, merge_id, "--distill-hidden", "auto", "--save-model")
    assert hidden["distill"]["teacher_kind"] == "merge" == hidden["distill"]["teacher_method"]
    assert hidden["distill"]["hidden"] == "auto" and hidden["run_id"] != plain["run_id"]
    assert hidden["distill"]["teacher_outputs"]["cached"] == hidden["data"]["train_size"]
    assert hidden["training"]["history"][0]["train_loss"] != pytest.approx(plain["training"]["history"][0]["train_loss"])
    saved = load_file(str(results / hidden["artifact"] / WEIGHTS))
    assert saved and not any("distill_projections" in key for key in saved)
    assert hidden["model"]["parameters"] == plain["model"]["parameters"]  # the projection is not the student's
    capsys.readouterr()
    assert main(["verify", "--eval-only", hidden["run_id"], "--results", str(results), "--quiet"]) == 0
