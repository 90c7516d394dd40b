"""One reading of entities: on every CoNLL-2003 dev sentence, the entity errors the robustness worst case
counts are the entity metric's false positives + false negatives, over the entities seqeval finds."""

from __future__ import annotations

import random

import numpy as np
import pytest
from seqeval.metrics.sequence_labeling import get_entities

from harness.errors import HarnessError
from harness.metrics import evaluate
from harness.metrics.entities import entity_rows
from harness.robustness.report import _badness, _entities, worst_case_predictions
from harness.tasks import kinds, load_split, load_task

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conll(data_dir):
    task = load_task("conll2003")
    try:
        return task, load_split(task, "validation", data_dir)
    except HarnessError as error:
        pytest.skip(f"conll2003 validation not found: {error}")


def _retag(tags: list[str], start: int, end: int, kind: str) -> None:
    tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)


def mistake(tags: list[str], rng: random.Random) -> list[str]:
    """The gold tags with up to two errors a tagger makes; one of them (a stray I-X) is not well-formed IOB2."""
    out = list(tags)
    for _ in range(rng.randint(0, 2)):
        spans = _entities_of(out)
        if not spans:
            start = rng.randrange(len(out))
            _retag(out, start, start + 1, "MISC")  # an entity where there is none
            continue
        start, end, kind = rng.choice(spans)
        error = rng.choice(["drop", "type", "grow", "shrink", "stray"])
        if error == "drop":
            out[start:end] = ["O"] * (end - start)
        elif error == "type":
            _retag(out, start, end, rng.choice([k for k in ("PER", "ORG", "LOC", "MISC") if k != kind]))
        elif error == "grow" and end < len(out) and out[end] == "O":
            _retag(out, start, end + 1, kind)
        elif error == "shrink" and end - start > 1:
            out[start] = "O"
            _retag(out, start + 1, end, kind)
        elif error == "stray":
            out[start] = f"I-{kind}"
    return out


def _entities_of(tags: list[str]) -> list[tuple[int, int, str]]:
    return [(start, end + 1, kind) for kind, start, end in get_entities(tags)]  # seqeval's ends are inclusive


def _strict_entities_of(tags: list[str]) -> list[tuple[int, int, str]]:
    """seqeval's entities that begin with B-: a stray I-X starts none (seqeval's strict IOB2 mode)."""
    return [(start, end, kind) for start, end, kind in _entities_of(tags) if tags[start].startswith("B-")]


def test_worst_case_errors_are_the_metrics_false_positives_and_negatives(conll):
    task, dev = conll
    labels, index = task.labels, {label: i for i, label in enumerate(task.labels)}
    gold = [[labels[t] for t in example.tags] for example in dev]
    predicted = [mistake(tags, random.Random(f"{example.id}:1")) for example, tags in zip(dev, gold)]
    predicted_ids = [[index[tag] for tag in tags] for tags in predicted]
    assert any(p != g for p, g in zip(predicted, gold)) and any(p == g for p, g in zip(predicted, gold))

    rows = entity_rows(predicted, gold, tag_names=labels)  # the metric as runs compute it
    tp, n_predicted, n_gold = rows[:, 0::3].sum(axis=1), rows[:, 1::3].sum(axis=1), rows[:, 2::3].sum(axis=1)
    metric_errors = (n_predicted - tp) + (n_gold - tp)
    robustness_errors = [_badness(kinds.TOKEN_CLASSIFICATION, e, p, labels) for e, p in zip(dev, predicted_ids)]
    np.testing.assert_array_equal(robustness_errors, metric_errors)
    assert metric_errors.sum() > 0

    for example, tags, ids in zip(dev, predicted, predicted_ids):  # the same entities, as seqeval reads them
        assert set(_entities(ids, labels)) == set(_strict_entities_of(tags)), example.id
        assert set(_entities(example.tags, labels)) == set(_entities_of([labels[t] for t in example.tags]))

    # against the gold tags as the clean version, the worst case is the mistaken one wherever it has an error
    _, worst = worst_case_predictions(kinds.TOKEN_CLASSIFICATION, (dev, [list(e.tags) for e in dev]),
                                      [(dev, predicted_ids)], labels)
    assert [w == p for w, p in zip(worst, predicted_ids)] == [e > 0 or p == g for e, p, g in
                                                            zip(metric_errors, predicted, gold)]
    scores = [evaluate(["entity_f1"], values, gold, tag_names=labels, n_boot=0).values
              for values in (worst, predicted_ids)]
    assert scores[0] == scores[1]
