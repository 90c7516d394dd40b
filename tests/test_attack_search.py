"""The attack search on a model with a known decision rule: it finds the known flip within budget, never passes
the budget or the share, repeats with its seed, spends nothing on examples already wrong, and keeps NER tags
aligned."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.attack import (
    ATTACKS,
    Attacked,
    evaluate_attacks,
    greedy_search,
    outcomes,
    run_searches,
)
from harness.attack.search import FAILED, SKIPPED, SUCCEEDED, UNTOUCHABLE
from harness.tasks import Example, TaskDef, kinds, load_task

POSITIVE = {"good": 2.0, "great": 3.0, "fine": 1.0, "wonderful": 3.0, "funny": 1.5, "movie": 0.2}
NEGATIVE = {"bad": 2.0, "awful": 3.0, "boring": 2.0, "dull": 2.0}


@dataclass
class Output:
    values: list
    probabilities: list


class RuleModel:
    """Positive when the listed positive words outweigh the negative ones: a word it does not know counts nothing,
    so a typo in 'great' removes its weight. Counts its queries."""

    def __init__(self) -> None:
        self.queries = 0
        self.calls = 0

    def __call__(self, examples: list[Example]) -> Output:
        self.queries += len(examples)
        self.calls += 1
        values, probabilities = [], []
        for example in examples:
            words = (example.text_pair or example.text).lower().split()
            margin = sum(POSITIVE.get(w, 0) - NEGATIVE.get(w, 0) for w in words) - 0.5
            positive = 1 / (1 + 2.718281828 ** -margin)
            values.append(int(positive > 0.5))
            probabilities.append([1 - positive, positive])
        return Output(values, probabilities)


def _task(kind: str = kinds.TEXT_CLASSIFICATION) -> TaskDef:
    """A built-in task's definition (no data is read): SST-2's labels and accuracy, CoNLL-2003's tags and entity F1."""
    return load_task("conll2003" if kind == kinds.TOKEN_CLASSIFICATION else "sst2")


def _search(attack: str, text: str, label: int, model: RuleModel, budget: int = 100, max_share: float = 0.5,
            seed: int = 0) -> Attacked:
    example = Example(id="validation-0", text=text, label=label)
    clean = outcomes(_task(), model([example]), [example])[0]
    model.queries = 0
    return run_searches([greedy_search(ATTACKS.get(attack), example, clean, budget=budget, max_share=max_share,
                                       seed=seed)],
                        lambda batch: outcomes(_task(), model(batch), batch))[0]


def test_the_character_attack_finds_the_known_flip():
    model = RuleModel()
    # 'great' carries the only positive weight: one typo in it flips the rule
    result = _search("char", "a great story about the sea", 1, model)
    assert result.status == SUCCEEDED
    assert [(position, old) for position, old, _ in result.changed] == [(1, "great")]
    assert result.value == 0 and "great" not in result.example.text
    assert result.queries == model.queries <= 100


def test_the_word_attack_flips_through_substitutes_it_does_not_know():
    model = RuleModel()
    result = _search("word", "a good movie", 1, model, max_share=1.0)
    # 'good' -> a substitute outside the rule's list ('decent', 'nice', 'solid') loses its weight
    assert result.status == SUCCEEDED and result.changed[0][1] == "good"
    assert result.changed[0][2] in ("decent", "nice", "solid")


@pytest.mark.parametrize("budget", [1, 2, 3, 5, 8, 13])
def test_the_budget_is_never_passed(budget):
    model = RuleModel()
    result = _search("char", "great wonderful great funny movie good great fine", 1, model, budget=budget,
                     max_share=1.0)
    assert result.queries == model.queries <= budget


@pytest.mark.parametrize("share", [0.1, 0.2, 0.34, 0.5])
def test_the_share_changed_is_never_passed(share):
    model = RuleModel()
    text = "great wonderful great funny movie good great fine wonderful"
    result = _search("char", text, 1, model, max_share=share)
    assert len(result.changed) <= int(share * 9)
    assert result.status in (SUCCEEDED, FAILED, UNTOUCHABLE)


def test_too_short_a_text_for_the_share_is_untouchable_and_costs_nothing():
    model = RuleModel()
    result = _search("char", "great fun", 1, model, max_share=0.25)
    assert result.status == UNTOUCHABLE and model.queries == 0 and result.example.text == "great fun"


def test_stop_words_and_negations_are_never_changed():
    model = RuleModel()
    result = _search("char", "not the great one", 1, model, max_share=1.0)
    assert all(old not in ("not", "the", "one") for _, old, _ in result.changed)


def test_an_example_already_wrong_costs_no_query():
    model = RuleModel()
    result = _search("char", "a boring and awful movie", 1, model)  # the rule says negative; gold is positive
    assert result.status == SKIPPED and result.queries == 0 and model.queries == 0


def test_the_search_repeats_with_its_seed_and_moves_with_another():
    texts = [f"great {w} good fine tale number {i}" for i, w in enumerate(["movie", "story", "film"] * 4)]
    def attack(seed):
        return [_search("char", text, 1, RuleModel(), seed=seed).example.text for text in texts]
    assert attack(3) == attack(3)
    assert attack(3) != attack(4)


def test_queries_of_many_examples_go_to_the_model_together():
    model = RuleModel()
    examples = [Example(id=f"validation-{i}", text=f"great film number {i} wonderful", label=1) for i in range(20)]
    report, rows = evaluate_attacks(_task(), {"attacks": "char", "budget": 50, "max_share": 0.5}, 0, examples,
                                    model(examples), model, split="validation")
    assert model.calls <= 1 + 2 + 5  # the clean pass, ranking, then one round per unit tried: not one per example
    result = report["attacks"]["char"]
    assert result["succeeded"] == 20 and report["worst_case"]["metrics"]["values"]["accuracy"] == 0.0
    assert result["success_rate"]["value"] == 1.0 and result["success_rate"]["low"] < 1.0
    assert len(rows) == 20 and all(row["success"] and row["text"] != "" for row in rows)


def test_ner_attack_keeps_one_tag_per_word_and_leaves_tags_unchanged():
    task = _task(kinds.TOKEN_CLASSIFICATION)
    person, outside = task.labels.index("B-PER"), task.labels.index("O")

    def tagger(examples):
        """Tags a known surname B-PER: a typo hides it."""
        values, probabilities = [], []
        for example in examples:
            tags = [person if w in ("Johnson", "Smith") else outside for w in example.words]
            values.append(tags)
            probabilities.append([[0.9 if t == i else 0.1 / (len(task.labels) - 1) for i in range(len(task.labels))]
                                  for t in tags])
        return Output(values, probabilities)

    example = Example(id="validation-0", words=("Johnson", "was", "a", "good", "player"),
                      tags=(person, outside, outside, outside, outside))
    report, rows = evaluate_attacks(task, {"attacks": "ner", "budget": 100, "max_share": 0.4}, 0, [example],
                                    tagger([example]), tagger, split="validation")
    assert rows[0]["status"] == SUCCEEDED
    assert len(rows[0]["words"]) == 5 and rows[0]["words"][0] != "Johnson"
    assert rows[0]["prediction"] == ["O"] * 5
    assert report["attacks"]["ner"]["metrics"]["values"][task.metrics[0]] == 0.0


def test_the_chinese_attack_changes_characters_for_homophones_or_look_alikes():
    attack = ATTACKS.get("zh_char")
    example = Example(id="validation-0", text="这部电影非常好看", label=1)
    document = attack.document(example)
    positions = [i for i in range(len(document)) if attack.eligible(document, i)]
    assert positions and all(document.units[i] not in "这的不" for i in positions)
    candidates = attack.unit_candidates(document, positions[0], seed=0)
    assert candidates and all(len(c) == 1 and c != document.units[positions[0]] for c in candidates)


def test_a_text_pair_has_its_second_text_attacked():
    model = RuleModel()
    example = Example(id="validation-0", text="great great great", text_pair="a great film", label=1)
    document = ATTACKS.get("char").document(example)
    assert document.field == "text_pair" and document.units == ["a", "great", "film"]
    assert document.written({1: "grat"}).text == "great great great"
    assert document.written({1: "grat"}).text_pair == "a grat film"
    assert document.written({}, deleted=1).text_pair == "a film"
    del model


def test_an_attack_plugin_registers_and_the_registry_refuses_a_broken_one():
    from harness.attack import Attack, register
    from harness.errors import HarnessError
    from harness.perturb.base import WORD_RE

    class Mirror(Attack):
        name, description = "mirror_test", "words written backwards"
        unit_pattern = WORD_RE

        def eligible(self, document, i):
            return len(document.units[i]) > 1

        def candidates(self, document, i, rng):
            return [document.units[i][::-1]]

    class Broken(Attack):
        name = "broken_test"

    register(Mirror)
    try:
        result = _search("mirror_test", "a great story", 1, RuleModel(), max_share=1.0)
        assert result.status == SUCCEEDED and result.example.text == "a taerg story"
    finally:
        ATTACKS.unregister("mirror_test")
    with pytest.raises(HarnessError, match="has no `eligible`"):
        register(Broken)


def test_a_ner_sentence_already_partly_wrong_is_attacked_for_more_errors():
    task = _task(kinds.TOKEN_CLASSIFICATION)
    person, outside = task.labels.index("B-PER"), task.labels.index("O")

    def tagger(examples):
        """Finds 'Smith' only: 'Johnson' is always missed, 'Smith' hidden by a typo."""
        values = [[person if w == "Smith" else outside for w in e.words] for e in examples]
        probabilities = [[[0.9 if t == i else 0.1 / (len(task.labels) - 1) for i in range(len(task.labels))]
                          for t in tags] for tags in values]
        return Output(values, probabilities)

    example = Example(id="validation-0", words=("Johnson", "and", "Smith", "played", "well"),
                      tags=(person, outside, person, outside, outside))
    clean = outcomes(task, tagger([example]), [example])[0]
    assert clean.errors == 1 and not clean.settled  # one entity missed: still worth attacking
    report, rows = evaluate_attacks(task, {"attacks": "ner", "budget": 100, "max_share": 0.4}, 0, [example],
                                    tagger([example]), tagger, split="validation")
    assert rows[0]["status"] == SUCCEEDED and rows[0]["words"][2] != "Smith"
    assert report["attacks"]["ner"]["metrics"]["values"][task.metrics[0]] == 0.0


def test_a_failed_search_leaves_the_example_as_it_was():
    model = RuleModel()
    text = "great wonderful great funny movie good great fine wonderful"  # too much positive weight for 2 edits
    result = _search("char", text, 1, model, max_share=0.25)
    assert result.status == FAILED and result.queries > 0
    assert result.example.text == text and result.changed == [] and result.value == 1
