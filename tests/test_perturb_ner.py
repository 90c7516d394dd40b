"""Perturbations on NER: alignment and well-formed IOB2 on every CoNLL-2003 dev sentence (and CLUENER)."""

from __future__ import annotations

import random

import pytest

from harness.errors import HarnessError
from harness.perturb import available, create, entity_spans, perturb_examples, resolve
from harness.tasks import Example, load_split, load_task

ENGLISH_NER = available("token_classification", "en")
CHINESE_NER = available("token_classification", "zh")
IN_PLACE = {"keyboard_typos", "char_swap", "char_insert", "char_delete", "misspellings", "synonyms",
            "name_swap", "lowercase", "uppercase", "title_case"}  # change words, never their number


def load(name: str, split: str, data_dir):
    task = load_task(name)
    try:
        return task, load_split(task, split, data_dir)
    except HarnessError as error:
        pytest.skip(f"{name} {split} not found: {error}")


@pytest.fixture(scope="module")
def conll(data_dir):
    task, dev = load("conll2003", "validation", data_dir)
    return task, dev, load_split(task, "train", data_dir)


@pytest.fixture(scope="module")
def cluener(data_dir):
    task, dev = load("cluener", "validation", data_dir)
    return task, dev, load_split(task, "train", data_dir)


def tag_names(example: Example, labels: list[str]) -> list[str]:
    return [labels[t] for t in example.tags]


def assert_valid_iob2(tags: list[str], where: str) -> None:
    previous = "O"
    for tag in tags:
        assert tag == "O" or tag[:2] in ("B-", "I-"), where
        if tag.startswith("I-"):
            assert previous != "O" and previous[2:] == tag[2:], f"{where}: {tag} after {previous}"
        previous = tag


def entity_types(example: Example, labels: list[str]) -> list[str]:
    return [kind for _, _, kind in entity_spans(tag_names(example, labels))]


def check_alignment(task, dev, train, name: str, severity: float | None) -> None:
    p = create(name, severity)
    out = perturb_examples(dev, p, seed=7, labels=task.labels, train=train)
    assert len(out) == len(dev)
    changed = 0
    for clean, messy in zip(dev, out):
        where = f"{name} on {clean.id}"
        assert messy.id == clean.id
        assert len(messy.words) == len(messy.tags) > 0, where
        assert all(w and w.split() == [w] for w in messy.words), where
        assert_valid_iob2(tag_names(messy, task.labels), where)
        assert entity_types(messy, task.labels) == entity_types(clean, task.labels), where
        if name in IN_PLACE or name.startswith(("zh_homophones", "zh_similar", "zh_traditional", "zh_punct")):
            assert messy.tags == clean.tags, where  # typos and case changes never touch tags
        changed += messy.words != clean.words
    assert changed > 0, f"{name} changed no sentence"


@pytest.mark.parametrize("name", ENGLISH_NER)
@pytest.mark.parametrize("severity", [None, 1.0])
def test_conll_alignment_holds_on_every_dev_sentence(name, severity, conll) -> None:
    check_alignment(*conll, name, severity)


@pytest.mark.parametrize("name", CHINESE_NER)
def test_cluener_alignment_holds_on_every_dev_sentence(name, cluener) -> None:
    check_alignment(*cluener, name, 1.0)


def test_clean_conll_dev_is_valid_iob2(conll) -> None:
    task, dev, _ = conll
    for example in dev:
        assert_valid_iob2(tag_names(example, task.labels), example.id)


def test_entity_swap_replaces_entities_with_training_entities_of_the_same_type(conll) -> None:
    task, dev, train = conll
    out = perturb_examples(dev, create("entity_swap"), seed=1, labels=task.labels, train=train)
    seen = {(kind, tuple(e.words[a:b])) for e in train for a, b, kind in entity_spans(tag_names(e, task.labels))}
    total = swapped = 0
    for clean, messy in zip(dev, out):
        old = entity_spans(tag_names(clean, task.labels))
        new = entity_spans(tag_names(messy, task.labels))
        assert len(new) == len(old) and [k for *_, k in new] == [k for *_, k in old]
        for (a, b, kind), (c, d, _) in zip(old, new):
            total += 1
            if clean.words[a:b] != messy.words[c:d]:
                swapped += 1
                assert (kind, tuple(messy.words[c:d])) in seen
    assert swapped / total > 0.95


def test_word_perturbations_change_their_share_of_words_on_conll(conll) -> None:
    task, dev, _ = conll
    for name in ("keyboard_typos", "char_delete"):
        p = create(name, 0.3)
        out = perturb_examples(dev, p, seed=1, labels=task.labels)
        eligible = sum(1 for e in dev for w in e.words if p.word_pattern.fullmatch(w) and p.eligible(w))
        changed = sum(a != b for clean, messy in zip(dev, out) for a, b in zip(clean.words, messy.words))
        assert changed / eligible == pytest.approx(0.3, abs=0.02), name


def test_case_changes_on_conll_are_exact_and_keep_tags(conll) -> None:
    task, dev, _ = conll
    for name, change in (("uppercase", str.upper), ("lowercase", str.lower)):
        out = perturb_examples(dev, create(name), seed=1, labels=task.labels)
        for clean, messy in zip(dev, out):
            assert messy.words == tuple(map(change, clean.words)) and messy.tags == clean.tags


def test_fillers_and_punctuation_stay_outside_entities(conll) -> None:
    task, dev, _ = conll
    for name in ("filler_words", "remove_punctuation"):
        out = perturb_examples(dev, create(name, 1.0), seed=1, labels=task.labels)
        for clean, messy in zip(dev, out):
            def entities(e: Example) -> list[tuple[str, ...]]:
                return [tuple(e.words[a:b]) for a, b, _ in entity_spans(tag_names(e, task.labels))]
            if name == "filler_words":
                assert entities(messy) == entities(clean)  # inserted words are all O
                tags = tag_names(clean, task.labels)
                gaps = sum(1 for i in range(1, len(tags)) if not tags[i].startswith("I-"))
                assert (len(messy.words) > len(clean.words)) == (gaps > 0)  # severity 1: every gap
            else:
                assert len(entities(messy)) == len(entities(clean))


def test_chinese_repetition_extends_entities_and_deletion_spares_them() -> None:
    labels = ["O", "B-name", "I-name"]
    example = Example(id="t-0", words=tuple("我叫张三。"), tags=(0, 0, 1, 2, 0))
    repeated = perturb_examples([example], create("zh_char_repeat", 1.0), seed=1, labels=labels)[0]
    assert "".join(repeated.words) == "我我叫叫张张三三。"
    assert [labels[t] for t in repeated.tags] == ["O", "O", "O", "O", "B-name", "I-name", "I-name", "I-name", "O"]
    deleted = perturb_examples([example], create("zh_char_delete", 1.0), seed=1, labels=labels)[0]
    assert "".join(deleted.words) == "张三。" and [labels[t] for t in deleted.tags] == ["B-name", "I-name", "O"]


def test_ner_unsafe_perturbations_are_refused(conll) -> None:
    task, dev, _ = conll
    for name in ("contract", "expand_contractions", "extra_whitespace"):
        assert name not in ENGLISH_NER
        with pytest.raises(HarnessError) as caught:
            resolve(name, kind="token_classification", language="en")
        message = str(caught.value)
        assert "\n" not in message and "cannot keep NER tags aligned" in message and "keyboard_typos" in message
        with pytest.raises(HarnessError, match="does not apply to token classification"):
            perturb_examples(dev[:1], create(name), seed=1, labels=task.labels)


def test_entity_swap_needs_the_training_split() -> None:
    swap = create("entity_swap")
    with pytest.raises(HarnessError, match="needs the task's training split"):
        swap.perturb_words(["Paris"], ["B-LOC"], random.Random(0))
