"""Ensemble weights fitted on the members' outputs on the selection split, never on a reported split.

    weights = fit_weights(task, members, split="holdout")

Classification and NER: the weights (on the simplex) that minimise the log-loss of the
weighted mean probability of the gold class (of each word's gold tag for NER). Regression:
non-negative least squares of the gold score on the members' scores, scaled to sum to one.
A run keeps its selection-split outputs in its predictions file (since they were recorded).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize, nnls

from harness.errors import HarnessError
from harness.fusion.members import Member
from harness.record.rerun import rerun_command
from harness.tasks import TaskDef, kinds

_FLOOR = 1e-12


def selection_split(member: Member) -> str:
    """The split name a member's selection outputs are kept under: "holdout", or its selection split's name."""
    selection = (member.record.get("data") or {}).get("selection")
    return "holdout" if selection == "holdout" else str(selection)


def fit_weights(task: TaskDef, members: Sequence[Member]) -> tuple[np.ndarray, str, int]:
    """(weights summing to one, the split they were fitted on, its examples)."""
    split = selection_split(members[0])
    keys = [key for key in members[0].rows if key[0] == split]
    for member in members:
        if not keys or any(key not in member.rows for key in keys):
            raise HarnessError(f"run {member.label} kept no outputs on its selection split ({split}; recorded before "
                               f"they were kept); rerun it with `{rerun_command(member.record['spec'], '--force')}`, "
                               "or leave out --fit-weights")
    if task.kind == kinds.REGRESSION:
        scores = np.array([[m.rows[key]["prediction"] for m in members] for key in keys], dtype=float)
        gold = np.array([members[0].rows[key]["reference"] for key in keys], dtype=float)
        weights, _ = nnls(scores, gold)
        total = weights.sum()
        return (weights / total if total > 0 else np.full(len(members), 1 / len(members))), split, len(keys)
    gold = _gold_probabilities(task, members, keys)  # (members, outputs)

    def log_loss(z: np.ndarray) -> float:
        weights = np.exp(z - z.max())
        weights /= weights.sum()
        return float(-np.mean(np.log(np.clip(weights @ gold, _FLOOR, None))))

    found = minimize(log_loss, np.zeros(len(members)), method="L-BFGS-B")
    weights = np.exp(found.x - found.x.max())
    return weights / weights.sum(), split, len(keys)


def _gold_probabilities(task: TaskDef, members: Sequence[Member], keys: list) -> np.ndarray:
    """Each member's probability of the gold class of every selection example (of every word's gold tag)."""
    index = {tag: i for i, tag in enumerate(task.labels)}
    rows = []
    for member in members:
        values: list[float] = []
        for key in keys:
            row = member.rows[key]
            if task.kind == kinds.TOKEN_CLASSIFICATION:
                values += [word[index[tag]] for word, tag in zip(row["probabilities"], row["reference"])]
            else:
                values.append(row["probabilities"][int(row["reference"])])
        rows.append(values)
    return np.asarray(rows, dtype=float)
