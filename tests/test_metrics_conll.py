"""Entity scores on real CoNLL-2003 dev tags agree with seqeval in both modes."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

from harness.metrics import evaluate

pytestmark = pytest.mark.integration

NER = ["entity_f1", "entity_precision", "entity_recall"]
TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def _data_dir() -> Path:
    default = Path(__file__).resolve().parent.parent / ".." / "shared" / "data"
    return Path(os.environ.get("HARNESS_DATA_DIR", default))


@pytest.fixture(scope="module")
def gold() -> list[list[str]]:
    path = _data_dir() / "conll2003" / "valid.txt"
    if not path.is_file():
        pytest.skip(f"CoNLL-2003 dev data not found at {path} (set HARNESS_DATA_DIR)")
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if current:
                sentences.append(current)
            current = []
        else:
            current.append(line.split()[-1])
    if current:
        sentences.append(current)
    return sentences


def _perturb(sentences: list[list[str]], seed: int, swap: float = 0.06, demote: float = 0.06) -> list[list[str]]:
    """Random tag swaps (rate `swap`) and B- -> I- demotions (rate `demote`)."""
    rng = np.random.default_rng(seed)
    out = []
    for tags in sentences:
        new = []
        for tag in tags:
            roll = rng.random()
            if roll < swap:
                tag = TAGS[rng.integers(len(TAGS))]
            elif roll < swap + demote and tag.startswith("B-"):
                tag = "I-" + tag[2:]
            new.append(tag)
        out.append(new)
    return out


def _seqeval_row(row: dict) -> dict:
    return {"precision": row["precision"], "recall": row["recall"], "f1": row["f1-score"], "support": row["support"]}


def test_dev_set_shape_and_gold_counts(gold: list[list[str]]) -> None:
    assert len(gold) == 3250  # the data README's count
    report = evaluate(NER, gold, gold, tag_names=TAGS, n_boot=0)
    assert report.values == {"entity_f1": 1.0, "entity_precision": 1.0, "entity_recall": 1.0}
    supports = {kind: row["support"] for kind, row in report.details["per_type"].items()}
    assert supports == {"LOC": 1837, "MISC": 922, "ORG": 1341, "PER": 1842}  # the published dev counts


@pytest.mark.parametrize("mode", ["strict", "conlleval"])
def test_perturbed_predictions_agree_with_seqeval(gold: list[list[str]], mode: str) -> None:
    predictions = _perturb(gold, seed=0)
    seqeval_mode = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    report = evaluate(NER, predictions, gold, tag_names=TAGS, ner_mode=mode, n_boot=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = classification_report(gold, predictions, output_dict=True, **seqeval_mode)
        assert report.values["entity_f1"] == pytest.approx(f1_score(gold, predictions, **seqeval_mode), abs=1e-12)
        assert report.values["entity_precision"] == pytest.approx(
            precision_score(gold, predictions, **seqeval_mode), abs=1e-12
        )
        assert report.values["entity_recall"] == pytest.approx(
            recall_score(gold, predictions, **seqeval_mode), abs=1e-12
        )
    assert set(report.details["per_type"]) == {"LOC", "MISC", "ORG", "PER"}
    for kind, ours in report.details["per_type"].items():
        row = expected[kind]
        assert ours == pytest.approx(_seqeval_row(row), abs=1e-12)
    low, high = report.intervals["entity_f1"]
    assert low < report.values["entity_f1"] < high
    assert high - low < 0.05  # ~6000 gold entities pin F1 down to a few points


def test_modes_differ_the_way_they_should(gold: list[list[str]]) -> None:
    # demoted B- tags only: conlleval still reads "I-PER I-PER" as the gold PER, strict
    # finds no entity there, so conlleval recalls more
    demoted = evaluate(NER, _perturb(gold, seed=1, swap=0.0, demote=0.2), gold, tag_names=TAGS, n_boot=0)
    assert demoted.details["conlleval"]["entity_recall"] > demoted.values["entity_recall"] + 0.05
    # random swaps only: most turn an O into a stray I-X, a false entity for conlleval that
    # strict ignores, so strict is more precise
    swapped = evaluate(NER, _perturb(gold, seed=1, swap=0.1, demote=0.0), gold, tag_names=TAGS, n_boot=0)
    assert swapped.values["entity_precision"] > swapped.details["conlleval"]["entity_precision"] + 0.05
