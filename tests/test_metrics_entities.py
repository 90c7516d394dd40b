"""Entity-level NER scores: hand cases, the strict/conlleval difference, seqeval agreement."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

from harness.errors import HarnessError
from harness.metrics import evaluate, example_stats
from harness.metrics.entities import entity_spans

NER = ["entity_f1", "entity_precision", "entity_recall"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]


def scores(predictions: list, references: list, mode: str = "strict", **kw: object) -> dict[str, float]:
    return evaluate(NER, predictions, references, ner_mode=mode, n_boot=0, **kw).values


def test_spans_in_both_modes() -> None:
    tags = ["I-PER", "I-PER", "O", "B-LOC", "I-ORG", "B-MISC", "B-MISC", "I-MISC"]
    # strict: only runs that begin with B-; I-ORG after B-LOC belongs to nothing
    # spans are (start, end, type), end exclusive as in words[start:end], left to right
    assert entity_spans(tags, "strict") == [(3, 4, "LOC"), (5, 6, "MISC"), (6, 8, "MISC")]
    # conlleval: an I- that continues nothing of its type starts an entity
    assert entity_spans(tags, "conlleval") == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "ORG"),
        (5, 6, "MISC"),
        (6, 8, "MISC"),
    ]


def test_strict_and_conlleval_differ_on_i_after_o() -> None:
    # the prediction ["O", "I-PER"] holds no entity in strict mode (P = R = F1 = 0 as seqeval
    # reports them) and one correct PER in conlleval mode (P = R = F1 = 1)
    references, predictions = [["O", "B-PER"]], [["O", "I-PER"]]
    assert scores(predictions, references, "strict") == {
        "entity_f1": 0.0,
        "entity_precision": 0.0,
        "entity_recall": 0.0,
    }
    assert scores(predictions, references, "conlleval") == {
        "entity_f1": 1.0,
        "entity_precision": 1.0,
        "entity_recall": 1.0,
    }
    assert f1_score(references, predictions, mode="strict", scheme=IOB2) == 0.0
    assert f1_score(references, predictions) == 1.0


def test_micro_and_per_type_hand_computed() -> None:
    # PER exact (tp); LOC predicted (2,2) vs gold (2,3): 1 predicted, 1 gold, no tp; ORG exact.
    # micro: tp 2, predicted 3, gold 3 -> P = R = F1 = 2/3; LOC alone scores 0 with support 1
    references = [["B-PER", "O", "B-LOC", "I-LOC"], ["B-ORG"]]
    predictions = [["B-PER", "O", "B-LOC", "O"], ["B-ORG"]]
    report = evaluate(NER, predictions, references, n_boot=0)
    assert report.values == pytest.approx({"entity_f1": 2 / 3, "entity_precision": 2 / 3, "entity_recall": 2 / 3})
    assert report.details["per_type"] == {
        "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "ORG": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
        "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
    }


def test_other_mode_headline_is_in_details() -> None:
    # strict: predictions hold LOC only -> P = 1/1, R = 1/2, F1 = 2/3; conlleval also finds PER(0,1) -> all 1
    references = [["B-PER", "I-PER", "O", "B-LOC"]]
    predictions = [["I-PER", "I-PER", "O", "B-LOC"]]
    report = evaluate(NER, predictions, references, ner_mode="strict", n_boot=0)
    assert report.values == pytest.approx({"entity_f1": 2 / 3, "entity_precision": 1.0, "entity_recall": 0.5})
    assert report.details["ner_mode"] == "strict"
    assert report.details["conlleval"] == {"entity_f1": 1.0, "entity_precision": 1.0, "entity_recall": 1.0}
    flipped = evaluate(["entity_f1"], predictions, references, ner_mode="conlleval", n_boot=0)
    assert flipped.details["strict"] == {"entity_f1": pytest.approx(2 / 3)}


def test_type_change_inside_an_entity_splits_it() -> None:
    # B-PER I-LOC: conlleval reads PER(0,0) + LOC(1,1); strict only PER(0,0)
    assert entity_spans(["B-PER", "I-LOC"], "conlleval") == [(0, 1, "PER"), (1, 2, "LOC")]
    assert entity_spans(["B-PER", "I-LOC"], "strict") == [(0, 1, "PER")]


@pytest.mark.parametrize("mode", ["strict", "conlleval"])
def test_agrees_with_seqeval_on_random_sequences(mode: str) -> None:
    rng = np.random.default_rng(7)
    seqeval_mode = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    for _ in range(60):
        references = [[TAGS[i] for i in rng.integers(0, 9, int(rng.integers(1, 9)))] for _ in range(4)]
        predictions = [
            [TAGS[i] if rng.random() < 0.5 else tag for i, tag in zip(rng.integers(0, 9, len(s)), s)]
            for s in references
        ]
        report = evaluate(NER, predictions, references, ner_mode=mode, n_boot=0)
        if math.isnan(report.values["entity_f1"]):
            continue  # nothing to score at all; seqeval says 0 there (tested separately)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # seqeval warns on 0/0
            assert report.values["entity_f1"] == pytest.approx(f1_score(references, predictions, **seqeval_mode))
            assert report.values["entity_precision"] == pytest.approx(
                precision_score(references, predictions, **seqeval_mode)
            )
            assert report.values["entity_recall"] == pytest.approx(
                recall_score(references, predictions, **seqeval_mode)
            )
            expected = classification_report(references, predictions, output_dict=True, **seqeval_mode)
        per_type = {k: v for k, v in expected.items() if not k.endswith(" avg")}
        assert set(report.details["per_type"]) == set(per_type)
        for kind, row in per_type.items():
            ours = report.details["per_type"][kind]
            expected_row = {"precision": row["precision"], "recall": row["recall"], "f1": row["f1-score"]}
            assert ours == pytest.approx({**expected_row, "support": row["support"]})


def test_tag_indices_with_tag_names() -> None:
    # indices into TAGS: [B-PER, I-PER, O] vs gold [B-PER, I-PER, B-LOC]: tp 1, predicted 1, gold 2
    values = scores([[1, 2, 0]], [[1, 2, 3]], tag_names=TAGS)
    assert values == pytest.approx({"entity_f1": 2 / 3, "entity_precision": 1.0, "entity_recall": 0.5})
    # the columns follow tag_names' types, so two runs' rows line up even if a type never occurs
    rows = example_stats("entity_f1", [["O"]], [["B-PER"]], tag_names=TAGS)
    assert rows.shape == (1, 12)


def test_no_entities_anywhere_is_nan_with_a_reason() -> None:
    report = evaluate(NER, [["O", "O"], []], [["O", "O"], []], n_boot=20)
    assert all(math.isnan(v) for v in report.values.values())
    assert "no entity in references or predictions" in report.details["notes"]["entity_f1"]


def test_no_predicted_entity_scores_zero_precision_with_a_note() -> None:
    report = evaluate(NER, [["O", "O"]], [["B-PER", "O"]], n_boot=0)
    assert report.values == {"entity_f1": 0.0, "entity_precision": 0.0, "entity_recall": 0.0}
    assert "no entity was predicted" in report.details["notes"]["entity_precision"]
    assert "entity_f1" not in report.details["notes"]


@pytest.mark.parametrize(
    ("predictions", "references", "kwargs", "message"),
    [
        ([["O", "B-PER", "I-PER"]], [["O", "B-PER"]], {}, "one tag per word"),
        ([["E-PER"]], [["B-PER"]], {}, "'E-PER' is not an IOB2 tag"),
        ([["PER"]], [["B-PER"]], {}, "'PER' is not an IOB2 tag"),
        ([["B-"]], [["B-PER"]], {}, "not an IOB2 tag"),
        ([["B-DATE"]], [["B-PER"]], {"tag_names": TAGS}, "not in tag_names: B-DATE"),
        ([[1]], [[1]], {}, "pass tag_names"),
        ([[9]], [[1]], {"tag_names": TAGS}, "out of range for 9 tag_names"),
        (["O", "B-PER"], ["O", "B-PER"], {}, "not a flat list of tags"),
        ([["O"]], [["O"]], {"ner_mode": "lenient"}, "unknown NER mode 'lenient'"),
    ],
)
def test_bad_tags_raise_one_line_errors(predictions: list, references: list, kwargs: dict, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        evaluate(["entity_f1"], predictions, references, **kwargs)
