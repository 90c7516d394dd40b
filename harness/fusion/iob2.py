"""Valid IOB2 tag sequences from per-word tag scores: the best sequence in which every I-X follows B-X or I-X.

Averaging several models' tag probabilities word by word can put an I-PER after an O or a
B-LOC; taking each word's best tag would then yield a span no member predicted. A Viterbi
pass over log-scores with the IOB2 transitions forbidden instead picks the most likely
sequence among the valid ones (ties: the lower tag index, as argmax does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_FLOOR = 1e-12  # a zero probability still leaves a finite log-score


def allowed_transitions(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(start[j], step[i, j]): whether a sentence may start with tag j, and tag j may follow tag i."""
    inside = [tag[2:] if tag.startswith("I-") else None for tag in tags]
    start = np.array([kind is None for kind in inside])
    step = np.ones((len(tags), len(tags)), dtype=bool)
    for j, kind in enumerate(inside):
        if kind is not None:
            step[:, j] = [tag in (f"B-{kind}", f"I-{kind}") for tag in tags]
    return start, step


def decode(scores: np.ndarray, tags: Sequence[str]) -> list[int]:
    """The tag indices of the valid sequence with the highest summed log-score; scores: (words, tags) >= 0."""
    if len(scores) == 0:
        return []
    start, step = allowed_transitions(tags)
    log = np.log(np.clip(np.asarray(scores, dtype=float), _FLOOR, None))
    forbidden = -np.inf
    best = np.where(start, log[0], forbidden)
    back = np.zeros((len(log), len(tags)), dtype=int)
    for word in range(1, len(log)):
        candidates = np.where(step, best[:, None], forbidden)  # (previous, next)
        back[word] = candidates.argmax(axis=0)
        best = candidates.max(axis=0) + log[word]
    path = [int(best.argmax())]
    for word in range(len(log) - 1, 0, -1):
        path.append(int(back[word, path[-1]]))
    return path[::-1]


def is_valid(tags: Sequence[str]) -> bool:
    """Whether every I-X in `tags` follows B-X or I-X."""
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous not in (f"B-{tag[2:]}", tag):
            return False
        previous = tag
    return True
