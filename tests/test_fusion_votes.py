"""Combining members' outputs on constructed examples: soft and majority votes, ties, NER spans, weights."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.fusion import iob2
from harness.fusion.votes import Outputs, check_weights, get_combiner
from harness.tasks import kinds

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
EQUAL3 = np.full(3, 1 / 3)


def _class_outputs(*probabilities):
    arrays = [np.asarray(p, dtype=float) for p in probabilities]
    return Outputs([int(a.argmax()) for a in arrays], arrays)


def test_soft_vote_is_the_argmax_of_the_mean_probability():
    # two members lean weakly to class 0, one strongly to class 1: the mean favours 1, the votes favour 0
    outputs = _class_outputs([0.55, 0.45], [0.55, 0.45], [0.0, 1.0])
    soft = get_combiner("soft").by_kind[kinds.TEXT_CLASSIFICATION]
    majority = get_combiner("majority").by_kind[kinds.TEXT_CLASSIFICATION]
    prediction, probabilities = soft(outputs, EQUAL3, ["neg", "pos"])
    assert prediction == 1 and probabilities == pytest.approx([0.366667, 0.633333])
    assert majority(outputs, EQUAL3, ["neg", "pos"])[0] == 0


def test_weights_change_the_vote():
    outputs = _class_outputs([0.9, 0.1], [0.2, 0.8])
    soft = get_combiner("soft").by_kind[kinds.TEXT_CLASSIFICATION]
    assert soft(outputs, check_weights([1, 3], 2), ["a", "b"])[0] == 1
    assert soft(outputs, check_weights([3, 1], 2), ["a", "b"])[0] == 0


def test_majority_tie_goes_to_the_more_probable_class_then_the_lower_index():
    majority = get_combiner("majority").by_kind[kinds.TEXT_CLASSIFICATION]
    tied = _class_outputs([0.6, 0.4, 0.0], [0.1, 0.0, 0.9])  # one vote each for 0 and 2; class 2 is surer
    assert majority(tied, np.full(2, 0.5), ["a", "b", "c"])[0] == 2
    even = _class_outputs([0.5, 0.5], [0.5, 0.5])
    assert majority(even, np.full(2, 0.5), ["a", "b"])[0] == 0
    soft = get_combiner("soft").by_kind[kinds.TEXT_CLASSIFICATION]
    assert soft(even, np.full(2, 0.5), ["a", "b"])[0] == 0


def test_regression_mean_and_weighted_median():
    outputs = Outputs([1.0, 2.0, 6.0], None)
    assert get_combiner("soft").by_kind[kinds.REGRESSION](outputs, EQUAL3, [])[0] == pytest.approx(3.0)
    assert get_combiner("majority").by_kind[kinds.REGRESSION](outputs, EQUAL3, [])[0] == 2.0
    assert get_combiner("majority").by_kind[kinds.REGRESSION](outputs, check_weights([1, 1, 5], 3), [])[0] == 6.0


def test_word_by_word_argmax_would_be_invalid_but_the_decoded_spans_are_valid():
    # word 2's mean favours I-PER after a word whose mean favours O: argmax gives O I-PER, an invalid span
    member_a = np.array([[0.9, 0.1, 0, 0, 0], [0.1, 0, 0.9, 0, 0]])
    member_b = np.array([[0.5, 0.5, 0, 0, 0], [0.4, 0, 0.6, 0, 0]])
    outputs = Outputs([[0, 2], [0, 2]], [member_a, member_b])
    mean = (member_a + member_b) / 2
    assert [TAGS[t] for t in mean.argmax(axis=1)] == ["O", "I-PER"]
    for name in ("soft", "majority"):
        tags, _ = get_combiner(name).by_kind[kinds.TOKEN_CLASSIFICATION](outputs, np.full(2, 0.5), TAGS)
        decoded = [TAGS[t] for t in tags]
        assert iob2.is_valid(decoded), (name, decoded)
    tags, _ = get_combiner("soft").by_kind[kinds.TOKEN_CLASSIFICATION](outputs, np.full(2, 0.5), TAGS)
    assert [TAGS[t] for t in tags] == ["B-PER", "I-PER"]  # 0.3 x 0.75 beats O O's 0.7 x 0.25


def test_decoder_keeps_a_valid_argmax_and_handles_empty_sentences():
    scores = np.array([[0.1, 0.8, 0.1, 0, 0], [0.1, 0.1, 0.8, 0, 0], [0.9, 0, 0, 0.1, 0], [0, 0, 0, 0.7, 0.3]])
    assert [TAGS[t] for t in iob2.decode(scores, TAGS)] == ["B-PER", "I-PER", "O", "B-LOC"]
    assert iob2.decode(np.zeros((0, 5)), TAGS) == []
    assert iob2.is_valid(["B-LOC", "I-LOC", "O"]) and not iob2.is_valid(["B-LOC", "I-PER"])
    assert not iob2.is_valid(["I-LOC"])


@pytest.mark.parametrize("weights, message", [
    ([1, 2], "2 values for 3 members"),
    ([1, -1, 1], "at least 0"),
    ([1, float("nan"), 1], "finite"),
    ([0, 0, 0], "at least one above 0"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(HarnessError, match=message):
        check_weights(weights, 3)


def test_unknown_combination_names_the_valid_ones():
    with pytest.raises(HarnessError, match="valid: majority, soft"):
        get_combiner("mean")
