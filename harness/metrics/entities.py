"""Entity-level precision, recall and F1 over IOB2 tag sequences (one tag per word).

Two ways to read an ill-formed sequence such as ["O", "I-PER"]:
- "strict" (seqeval mode="strict", scheme=IOB2): an entity must begin with B-; an I-
  that does not continue an entity of its type belongs to no entity.
- "conlleval" (seqeval's default, after the conlleval perl script): such an I- starts
  an entity.
Both agree on well-formed sequences. In both, an entity is a B-X or I-X followed by
every I-X right after it; strict keeps only the ones that start with B-. `entity_spans` is
the one reading of entities in the harness: perturbations and robustness use it too.

Per-sentence row, for each entity type in order: (true positives, predicted, gold),
so the row has 3 * len(types) columns. Micro scores sum the columns over types.
Zero divisions follow seqeval (0), except that with no entity at all in references or
predictions every score is nan: there is nothing to score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from harness.errors import HarnessError, unknown_name
from harness.metrics.base import check_same_length, divide

MODES = ("strict", "conlleval")
RUN_MODE = "strict"  # how runs score entities; the robustness worst case reads them the same way


class Span(NamedTuple):
    """One entity: words[start:end] (end exclusive, as in a slice), of type `kind`."""

    start: int
    end: int
    kind: str


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise unknown_name("NER mode", mode, MODES)
    return mode


def _check_tag(tag: str) -> None:
    if tag == "O":
        return
    kind = tag[2:]
    if (
        tag[:2] not in ("B-", "I-")
        or not kind
        or kind[0] == "-"
        or kind[-1] == "-"
        or any(c.isspace() for c in kind)
    ):
        raise HarnessError(f"'{tag}' is not an IOB2 tag; tags must be O, B-<type> or I-<type>")


def entity_type(tag: str) -> str:
    return tag[2:]


def as_tag_strings(
    sequences: Sequence[Sequence[object]], tag_names: Sequence[str] | None, what: str
) -> list[list[str]]:
    """Tag strings per sentence; int tags are looked up in `tag_names`. Checks every tag."""
    if isinstance(sequences, str) or any(isinstance(s, str) for s in sequences[:1]):
        raise HarnessError(f"{what} must be one list of tags per sentence, not a flat list of tags")
    names = list(tag_names) if tag_names is not None else None
    out: list[list[str]] = []
    for sentence in sequences:
        tags = []
        for tag in sentence:
            if isinstance(tag, (int, np.integer)) and not isinstance(tag, bool):
                if names is None:
                    raise HarnessError(f"{what} hold the tag index {tag}; pass tag_names to map indices to tags")
                if not 0 <= tag < len(names):
                    raise HarnessError(f"{what} hold the tag index {tag}, out of range for {len(names)} tag_names")
                tag = names[tag]
            tags.append(tag)
        out.append(tags)
    seen = {tag for tags in out for tag in tags}
    for tag in seen:
        if not isinstance(tag, str):
            raise HarnessError(f"{what} hold {tag!r}; tags must be strings like 'B-PER' or indices into tag_names")
        _check_tag(tag)
    if names is not None:
        unknown = sorted(seen - set(names))
        if unknown:
            raise HarnessError(f"{what} hold tags not in tag_names: {', '.join(unknown)}")
    return out


def entity_spans(tags: Sequence[str], mode: str = "conlleval") -> list[Span]:
    """The entities of one sentence, left to right. "conlleval" (the default) keeps every tagged
    run, so a stray I-X starts an entity; "strict" keeps only the runs that begin with B-X."""
    spans: list[Span] = []
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        if start >= 0 and tag[0] == "I" and entity_type(tag) == kind:
            continue  # continues the open entity
        if start >= 0 and (mode == "conlleval" or tags[start][0] == "B"):
            spans.append(Span(start, i, kind))
        start, kind = (-1, "") if tag == "O" else (i, entity_type(tag))
    return spans


def types_of(tag_sequences: Iterable[Sequence[str]]) -> list[str]:
    return sorted({entity_type(tag) for tags in tag_sequences for tag in tags if tag != "O"})


def entity_rows(
    predictions: Sequence[Sequence[object]],
    references: Sequence[Sequence[object]],
    *,
    tag_names: Sequence[str] | None = None,
    ner_mode: str = RUN_MODE,
    **_: object,
) -> np.ndarray:
    """Per-sentence (tp, predicted, gold) per type; types from tag_names, else from the tags seen."""
    check_mode(ner_mode)
    check_same_length(predictions, references)
    if tag_names is not None:
        as_tag_strings([list(tag_names)], None, "tag_names")
    pred = as_tag_strings(predictions, tag_names, "predictions")
    ref = as_tag_strings(references, tag_names, "references")
    for i, (p, r) in enumerate(zip(pred, ref)):
        if len(p) != len(r):
            raise HarnessError(
                f"sentence {i} has {len(p)} predicted tags for {len(r)} words; "
                "predict one tag per word (first sub-token), not per sub-token"
            )
    types = types_of([tag_names]) if tag_names is not None else types_of(pred + ref)
    column = {kind: 3 * i for i, kind in enumerate(types)}
    rows = np.zeros((len(ref), 3 * len(types)), dtype=float)
    for i, (p, r) in enumerate(zip(pred, ref)):
        predicted, gold = set(entity_spans(p, ner_mode)), set(entity_spans(r, ner_mode))
        for span in predicted & gold:
            rows[i, column[span.kind]] += 1
        for span in predicted:
            rows[i, column[span.kind] + 1] += 1
        for span in gold:
            rows[i, column[span.kind] + 2] += 1
    return rows


def _micro(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tp, predicted, gold) summed over types."""
    per_type = totals.reshape(*totals.shape[:-1], -1, 3)
    return per_type[..., 0].sum(axis=-1), per_type[..., 1].sum(axis=-1), per_type[..., 2].sum(axis=-1)


def _scores(tp: np.ndarray, predicted: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, ...]:
    """(precision, recall, f1) with seqeval's 0 for 0/0."""
    precision = divide(tp, predicted, when_zero=0.0)
    recall = divide(tp, gold, when_zero=0.0)
    f1 = divide(2 * precision * recall, precision + recall, when_zero=0.0)
    return precision, recall, f1


def _headline(totals: np.ndarray, which: int) -> np.ndarray:
    tp, predicted, gold = _micro(totals)
    value = _scores(tp, predicted, gold)[which]
    return np.where(predicted + gold > 0, value, np.nan)


def precision(totals: np.ndarray) -> np.ndarray:
    return _headline(totals, 0)


def recall(totals: np.ndarray) -> np.ndarray:
    return _headline(totals, 1)


def f1(totals: np.ndarray) -> np.ndarray:
    return _headline(totals, 2)


def _explain(stats: np.ndarray, which: int) -> str | None:
    _, predicted, gold = _micro(stats.sum(axis=0))
    if predicted + gold == 0:
        return "no entity in references or predictions: entity scores are undefined"
    if which == 0 and predicted == 0:
        return "no entity was predicted: precision is reported as 0 (seqeval's convention)"
    if which == 1 and gold == 0:
        return "references hold no entity: recall is reported as 0 (seqeval's convention)"
    return None


def explain_precision(stats: np.ndarray) -> str | None:
    return _explain(stats, 0)


def explain_recall(stats: np.ndarray) -> str | None:
    return _explain(stats, 1)


def explain_f1(stats: np.ndarray) -> str | None:
    return _explain(stats, 2)


def per_type(stats: np.ndarray, types: Sequence[str]) -> dict[str, dict[str, float]]:
    """seqeval's per-type report: types with at least one gold or predicted entity."""
    totals = stats.sum(axis=0).reshape(-1, 3)
    scores = _scores(totals[:, 0], totals[:, 1], totals[:, 2])
    return {
        kind: {
            "precision": float(scores[0][i]),
            "recall": float(scores[1][i]),
            "f1": float(scores[2][i]),
            "support": int(totals[i, 2]),
        }
        for i, kind in enumerate(types)
        if totals[i, 1] + totals[i, 2] > 0
    }


def row_types(
    predictions: Sequence[Sequence[object]],
    references: Sequence[Sequence[object]],
    tag_names: Sequence[str] | None = None,
) -> list[str]:
    """The entity types, in the column order `entity_rows` uses for the same inputs."""
    if tag_names is not None:
        return types_of([list(tag_names)])
    return types_of(
        as_tag_strings(predictions, None, "predictions") + as_tag_strings(references, None, "references")
    )
