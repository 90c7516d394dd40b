"""Augmentation on the fly: seeded per (example, epoch), labels aligned, families, paraphrase files, seen/unseen."""

from __future__ import annotations

import json

import pytest

from harness.encode import Features
from harness.errors import HarnessError
from harness.metrics.entities import entity_spans
from harness.perturb import make_rng, perturb_example, resolve
from harness.remedy.augment import AugmentedTraining
from harness.remedy.paraphrases import check_ids, read_paraphrases
from harness.remedy.settings import RemedyRequest, describe, parse_remedies
from harness.robustness.report import robustness_report
from harness.tasks import Example, kinds

TEXTS = ["a charming and often affecting journey", "the acting is astounding , really", "it is a mess of a movie",
         "unflinchingly bleak and desperate", "a gorgeous witty movie that never drags"]
EXAMPLES = [Example(id=f"train-{i}", text=text, label=i % 2) for i, text in enumerate(TEXTS)]
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
TAGGED = Example(id="train-0", words=("Peter", "Blackburn", "went", "to", "the", "old", "market", "in", "New", "York",
                                      "today", "."), tags=(1, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0), label=None)


def _encode(examples):  # stands in for the tokenizer: the text itself is what the tests look at
    return [Features(input_ids=[hash(e.text) % 1000], label=e.label, token_type_ids=None) for e in examples]


def _texts(training: AugmentedTraining) -> list:
    return [f.input_ids[0] for f in training]


def _training(prob=0.5, copies=0, seed=0, perturbations="typos") -> AugmentedTraining:
    chosen = resolve(perturbations, kind=kinds.TEXT_CLASSIFICATION, language="en")
    return AugmentedTraining(EXAMPLES, _encode(EXAMPLES), _encode, chosen, prob=prob, copies=copies, seed=seed)


def test_an_epoch_repeats_with_the_seed_and_changes_with_epoch_and_seed():
    first, again, other_seed = _training(prob=1.0), _training(prob=1.0), _training(prob=1.0, seed=1)
    for training in (first, again, other_seed):
        training.draw_epoch(1)
    assert _texts(first) == _texts(again)
    assert _texts(first) != _texts(other_seed)
    epoch_one = _texts(first)
    first.draw_epoch(2)
    assert _texts(first) != epoch_one


def test_prob_and_copies_decide_the_slots():
    clean = [f.input_ids[0] for f in _encode(EXAMPLES)]
    none_perturbed = _training(prob=0.0, copies=2)
    none_perturbed.draw_epoch(1)
    assert len(none_perturbed) == 3 * len(EXAMPLES)
    assert _texts(none_perturbed)[:len(EXAMPLES)] == clean  # slot 0 stays clean with probability 1 - prob
    assert none_perturbed.perturbed_count == 2 * len(EXAMPLES)  # every copy is perturbed
    assert [f.label for f in none_perturbed] == [e.label for e in EXAMPLES] * 3
    assert none_perturbed.lengths() == [1] * 3 * len(EXAMPLES)


def test_word_edits_keep_every_entity_and_one_tag_per_word():
    gold = entity_spans([LABELS[t] for t in TAGGED.tags])
    entity_words = [TAGGED.words[s.start:s.end] for s in gold]
    for perturbation in resolve("word_edits,typos", kind=kinds.TOKEN_CLASSIFICATION, language="en"):
        for seed in range(20):
            perturbation.severity = 0.5
            out = perturb_example(TAGGED, perturbation, seed=seed, labels=LABELS)
            assert len(out.words) == len(out.tags)
            spans = entity_spans([LABELS[t] for t in out.tags])
            assert [s.kind for s in spans] == [s.kind for s in gold]
            if perturbation.family == "word_edits":  # typos change letters of entity words, word edits never
                assert [out.words[s.start:s.end] for s in spans] == entity_words


def test_families_and_all():
    typos = [p.name for p in resolve("typos", kind=kinds.TEXT_CLASSIFICATION, language="en")]
    assert typos == ["char_delete", "char_insert", "char_swap", "keyboard_typos", "misspellings"]
    everything = [p.name for p in resolve("all", kind=kinds.TEXT_CLASSIFICATION, language="en")]
    assert len(everything) == 15 and "word_delete" not in everything  # augmentations only when named
    assert [p.name for p in resolve("word_edits", kind=kinds.TEXT_CLASSIFICATION, language="zh")] == ["zh_char_swap"]
    with pytest.raises(HarnessError, match="does not apply to token_classification"):
        resolve("zh_char_swap", kind=kinds.TOKEN_CLASSIFICATION, language="zh")


def test_eda_edits_change_text_deterministically():
    for name in ("word_delete", "word_swap", "word_insert", "synonyms"):
        (perturbation,) = resolve(f"{name}:0.5", kind=kinds.TEXT_CLASSIFICATION, language="en")
        text = "a good movie with a great story and a good cast"
        once = perturbation.perturb(text, make_rng("x", 0, name))
        assert once == perturbation.perturb(text, make_rng("x", 0, name))
        assert once != text and once.strip()


def test_paraphrases_are_drawn_as_a_source(tmp_path):
    path = tmp_path / "para.jsonl"
    path.write_text(json.dumps({"id": "train-0", "text": "a lovely and touching trip"}) + "\n")
    class Task:  # read_paraphrases only asks a task for its kind and name
        kind, name = kinds.TEXT_CLASSIFICATION, "t"

    paraphrases = read_paraphrases(path, Task)
    check_ids(paraphrases, EXAMPLES, str(path))
    training = AugmentedTraining(EXAMPLES[:1], _encode(EXAMPLES[:1]), _encode, [], prob=1.0, copies=0, seed=0,
                                 paraphrases=paraphrases)
    training.draw_epoch(1)
    assert _texts(training) == [hash("a lovely and touching trip") % 1000]
    with pytest.raises(HarnessError, match="not training examples of the task"):
        check_ids({"validation-3": []}, EXAMPLES, str(path))


def test_remedies_parse_and_describe():
    requests = parse_remedies("none,augment:keyboard_typos+lowercase,fgm,freelb",
                              RemedyRequest(augment_prob=0.3, adv_epsilon=0.5, adv_steps=2))
    assert requests[0] == RemedyRequest()
    assert requests[1] == RemedyRequest(augment="keyboard_typos,lowercase", augment_prob=0.3)
    assert requests[2] == RemedyRequest(adversarial="fgm", adv_epsilon=0.5)  # fgm takes no steps
    assert requests[3] == RemedyRequest(adversarial="freelb", adv_epsilon=0.5, adv_steps=2)
    assert describe(None) == "none"
    assert describe({"augment": {"perturbations": "typos", "prob": 0.5, "copies": 1}}) == "augment typos (1 copy)"
    assert describe({"adversarial": {"kind": "pgd", "epsilon": 1.0, "steps": 5, "alpha": 0.3}}) == "pgd (steps 5)"
    for bad in ("augment", "fgm:2", "smote", ""):
        with pytest.raises(HarnessError):
            parse_remedies(bad)


def test_report_splits_seen_from_unseen_perturbations():
    clean = [Example(id=str(i), text="x", label=1) for i in range(4)]

    def predicted(values):
        return clean, values

    variants = {"keyboard_typos": predicted([1, 1, 1, 0]), "lowercase": predicted([0, 1, 1, 1]),
                "synonyms": predicted([1, 0, 1, 1])}

    def score(values, examples):
        return {"accuracy": sum(v == e.label for v, e in zip(values, examples)) / len(values)}

    report = robustness_report(kinds.TEXT_CLASSIFICATION, predicted([1, 1, 1, 1]), variants, score,
                               seen=["keyboard_typos"])
    assert report["worst_case"]["accuracy"] == 0.25
    assert report["seen"] == {"perturbations": ["keyboard_typos"], "worst_case": {"accuracy": 0.75},
                              "worst_case_drop": {"accuracy": 0.25}}
    assert report["unseen"]["perturbations"] == ["lowercase", "synonyms"]
    assert report["unseen"]["worst_case"] == {"accuracy": 0.5}
    assert "seen" not in robustness_report(kinds.TEXT_CLASSIFICATION, predicted([1, 1, 1, 1]), variants, score)


def test_worst_rows_take_each_examples_worst_version():
    from harness.compare.remedies import worst_rows

    clean = [{"split": "dev", "id": "a", "prediction": 1, "reference": 1},
             {"split": "dev", "id": "b", "prediction": 0, "reference": 1}]
    perturbed = [{"split": "dev", "perturbation": "typos", "id": "a", "prediction": 0},
                 {"split": "dev", "perturbation": "lowercase", "id": "a", "prediction": 1},
                 {"split": "dev", "perturbation": "typos", "id": "b", "prediction": 1}]
    assert [r["prediction"] for r in worst_rows(kinds.TEXT_CLASSIFICATION, clean, perturbed, ["typos"], "dev")] == [0, 0]
    assert [r["prediction"] for r in worst_rows(kinds.TEXT_CLASSIFICATION, clean, perturbed, ["lowercase"], "dev")] \
        == [1, 0]
    with pytest.raises(HarnessError, match="no per-example predictions under synonyms"):
        worst_rows(kinds.TEXT_CLASSIFICATION, clean, perturbed, ["synonyms"], "dev")
    # NER: the version with the most entity errors, with its own reference (an inserted word moves the tags)
    ner_clean = [{"split": "test", "id": "s", "prediction": ["B-PER", "O"], "reference": ["B-PER", "O"]}]
    ner_perturbed = [{"split": "test", "perturbation": "fillers", "id": "s", "prediction": ["O", "O", "O"],
                      "reference": ["O", "B-PER", "O"]}]
    (worst,) = worst_rows(kinds.TOKEN_CLASSIFICATION, ner_clean, ner_perturbed, ["fillers"], "test")
    assert worst["reference"] == ["O", "B-PER", "O"] and worst["prediction"] == ["O", "O", "O"]
