"""The greedy search every attack shares, run for many examples at once with their queries batched.

Per example (TextFooler's search, with the budget and share as hard limits):
1. An example the model already gets wrong is not attacked: it costs no query. (NER: every sentence is
   attacked, since entity F1 falls further with every entity error added to a sentence already partly wrong.)
2. Importance: each eligible unit deleted in turn, ranked by how far the gold score falls
   (at most half the budget goes to ranking; units left unranked follow in text order).
3. In order of importance, every candidate for the unit is scored at once; the one that
   lowers the gold score most is kept. A candidate that flips the prediction ends the search
   (success: a wrong class; NER: more entity errors than on the clean sentence); one that lowers
   nothing leaves the unit as it was.
4. It stops when the budget of queries is spent or the share of units changed would pass the
   maximum (at most floor(max_share x units) units change; when that is 0, or no unit is
   eligible, the example is untouchable and costs no query). A search that fails leaves the
   example as it was (as TextAttack counts a failed attack): the edits it tried flipped nothing,
   and an attacker would not keep them (for NER they might even have removed an error).

A search is a generator: it yields the examples it wants scored and receives one `Outcome`
each. `run_searches` gathers the requests of every live search into one call of the model, so
the model sees large, length-sorted batches instead of one example at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.attack.base import Attack, Document
from harness.tasks import Example

SKIPPED, UNTOUCHABLE, SUCCEEDED, FAILED = "already_wrong", "untouchable", "succeeded", "failed"


@dataclass(frozen=True)
class Outcome:
    """What the model says about one queried example."""

    gold_score: float  # the probability of the gold label (NER: the mean over words of the gold tag's)
    errors: int  # 1 for a wrong class, else 0 (NER: entities predicted or gold but not both)
    value: Any  # the prediction itself, as the task's metrics take it
    settled: bool = False  # nothing left to attack: a class already wrong (never for NER)


@dataclass
class Attacked:
    """One example's attack: its final version, what the model predicts on it, and what it cost."""

    status: str
    example: Example
    value: Any
    queries: int = 0
    units: int = 0  # units in the attacked text
    changed: list[tuple[int, str, str]] = field(default_factory=list)  # (position, original, replacement)

    @property
    def changed_share(self) -> float:
        return len(self.changed) / self.units if self.units else 0.0


Search = Generator[list[Example], list[Outcome], Attacked]


def greedy_search(attack: Attack, example: Example, clean: Outcome, *, budget: int, max_share: float, seed: int,
                  labels: Sequence[str] = ()) -> Search:
    """The search for one example (a generator; see the module docstring)."""
    document = attack.document(example, labels)
    if clean.settled:
        return Attacked(SKIPPED, example, clean.value, units=len(document))
    limit = math.floor(max_share * len(document) + 1e-9)
    eligible = [i for i in range(len(document)) if attack.eligible(document, i)]
    if limit == 0 or not eligible:
        return Attacked(UNTOUCHABLE, example, clean.value, units=len(document))
    queries = 0
    ranked = eligible[:budget // 2] if budget >= 2 and len(eligible) > 1 else []
    if ranked:
        outcomes = yield [document.written({}, deleted=i) for i in ranked]
        queries += len(ranked)
        drop = {i: clean.gold_score - o.gold_score for i, o in zip(ranked, outcomes)}
        order = sorted(ranked, key=lambda i: -drop[i]) + [i for i in eligible if i not in drop]
    else:
        order = eligible
    replaced: dict[int, str] = {}
    current = clean
    for i in order:
        if len(replaced) >= limit or queries >= budget:
            break
        candidates = attack.unit_candidates(document, i, seed)[:budget - queries]
        if not candidates:
            continue
        outcomes = yield [document.written({**replaced, i: c}) for c in candidates]
        queries += len(candidates)
        flips = [(o.gold_score, c, o) for c, o in zip(candidates, outcomes) if o.errors > clean.errors]
        best_score, best, outcome = min(flips or [(o.gold_score, c, o) for c, o in zip(candidates, outcomes)],
                                        key=lambda found: found[0])
        if flips or best_score < current.gold_score:
            replaced[i], current = best, outcome
        if flips:
            return _finish(SUCCEEDED, document, replaced, current, queries)
    return Attacked(FAILED, example, clean.value, queries, len(document))


def _finish(status: str, document: Document, replaced: dict[int, str], outcome: Outcome, queries: int) -> Attacked:
    changes = [(i, document.units[i], new) for i, new in sorted(replaced.items())]
    return Attacked(status, document.written(replaced), outcome.value, queries, len(document), changes)


def run_searches(searches: Sequence[Search], score: Callable[[list[Example]], list[Outcome]]) -> list[Attacked]:
    """Drive every search to its end, scoring the requests of all live searches in one call per round."""
    results: list[Attacked | None] = [None] * len(searches)
    pending: dict[int, list[Example]] = {}
    for index, search in enumerate(searches):
        _advance(index, search, None, pending, results)
    while pending:
        requests = list(pending.items())
        outcomes = score([example for _, examples in requests for example in examples])
        pending = {}
        offset = 0
        for index, examples in requests:
            answer = outcomes[offset: offset + len(examples)]
            offset += len(examples)
            _advance(index, searches[index], answer, pending, results)
    return results  # type: ignore[return-value]


def _advance(index: int, search: Search, answer: list[Outcome] | None, pending: dict[int, list[Example]],
             results: list[Attacked | None]) -> None:
    try:
        pending[index] = next(search) if answer is None else search.send(answer)
    except StopIteration as finished:
        results[index] = finished.value
