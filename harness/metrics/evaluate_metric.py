"""A Hugging Face `evaluate` metric as a harness Metric: scored, bootstrapped and recorded like the built-ins.

    metric, identity = register_evaluate_metric("evaluate:./my_f1.py", task_folder, LABELS, "text_classification")

What the metric receives, by task kind: class ids (ints, index into the task's labels) for
classification, floats for regression, one list of IOB2 tag strings per sentence for token
classification (seqeval-style).

Per-example row: one number, the id of the example's (prediction, reference) pair in a table
this adapter keeps (equal pairs share an id). The value on all rows is the module's public
`compute()`. Each bootstrap resample is scored by calling the module's own `_compute` on the
resampled pairs: `compute()` costs ~5 ms per call in arrow writes alone, `_compute` only what the
metric computes. Every batch of resamples first checks that `_compute` and `compute()` agree
on one resample, and falls back to `compute()` when they do not (a metric that needs evaluate's
input casting). Cost: n_boot calls of the metric on n examples per split (1000 by default).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.metrics.base import LABELS, SCORES, TAGS, Metric, check_same_length
from harness.metrics.entities import as_tag_strings
from harness.metrics.evaluate_module import (
    EvaluateTarget,
    code_hash,
    input_kinds,
    load_module,
    parse,
)
from harness.metrics.registry import METRICS

GIVES = {LABELS: "class ids (ints)", SCORES: "scores (floats)", TAGS: "tag strings per sentence"}
# A two-example check run when a task is loaded, so a metric that returns no number fails before any model loads.
PROBES = {
    LABELS: ([0, 1], [0, 1]),
    SCORES: ([0.0, 1.0], [0.0, 1.0]),
    TAGS: ([["B-X", "I-X", "O"]], [["B-X", "I-X", "O"]]),
}
_IDENTITIES: dict[str, str] = {}  # registered name -> "name@code hash"


class EvaluateMetric:
    """Rows, value and explanation of one evaluate module, for a Metric."""

    def __init__(self, target: EvaluateTarget, module: Any, input_kind: str) -> None:
        self.target, self.module, self.input_kind = target, module, input_kind
        self._ids: dict[Any, int] = {}
        self._pairs: list[tuple[Any, Any]] = []

    def metric(self) -> Metric:
        return Metric(self.target.written, self.input_kind, self.rows, from_rows=self.values, explain=self.explain)

    # -- rows -------------------------------------------------------------------------------
    def rows(self, predictions: Sequence[Any], references: Sequence[Any], *,
             tag_names: Sequence[str] | None = None, **_: object) -> np.ndarray:
        check_same_length(predictions, references)
        pred, ref = self._canonical(predictions, tag_names, "predictions"), self._canonical(references, tag_names,
                                                                                            "references")
        ids = []
        for pair in zip(pred, ref):
            if pair not in self._ids:
                self._ids[pair] = len(self._pairs)
                self._pairs.append(pair)
            ids.append(self._ids[pair])
        return np.asarray(ids, dtype=float).reshape(-1, 1)

    def _canonical(self, values: Sequence[Any], tag_names: Sequence[str] | None, what: str) -> list[Any]:
        try:
            if self.input_kind == TAGS:
                return [tuple(tags) for tags in as_tag_strings(values, tag_names, what)]
            cast: Callable[[Any], Any] = int if self.input_kind == LABELS else float
            return [cast(value) for value in values]
        except (TypeError, ValueError) as error:
            raise HarnessError(f"{self.target.written}: {what} must be {GIVES[self.input_kind]} ({error})") from None

    def _inputs(self, ids: np.ndarray) -> dict[str, Any]:
        pairs = [self._pairs[i] for i in ids]
        pred = [list(p) if self.input_kind == TAGS else p for p, _ in pairs]
        ref = [list(r) if self.input_kind == TAGS else r for _, r in pairs]
        if self.module.info.format == "numpy":  # what compute() hands _compute for such metrics
            return {"predictions": np.asarray(pred), "references": np.asarray(ref)}
        return {"predictions": pred, "references": ref}

    # -- values -----------------------------------------------------------------------------
    def values(self, rows: np.ndarray) -> np.ndarray:
        """The value on `rows` (n, 1) through compute(), or on each resample (..., n, 1)."""
        ids = np.asarray(rows)[..., 0].astype(np.int64)
        if ids.ndim == 1:
            if len(ids) == 0:
                return np.float64(np.nan)
            result = self._public(ids)
            return np.float64(pick_number(result, self.target, "the predictions"))
        flat = ids.reshape(-1, ids.shape[-1])
        score = self._resample_scorer(flat[0]) if ids.shape[-1] else None
        out = np.array([score(row) if score else np.nan for row in flat], dtype=float)
        return out.reshape(ids.shape[:-1])

    def _public(self, ids: np.ndarray) -> Any:
        try:
            return self.module.compute(**self._inputs(ids))
        except Exception as error:  # noqa: BLE001 - the metric's own code failed on these predictions
            raise HarnessError(f"{self.target.written} failed on the predictions ({type(error).__name__}: "
                               f"{error}); fix the metric module") from None

    def _resample_scorer(self, first: np.ndarray) -> Callable[[np.ndarray], float]:
        """_compute when it agrees with compute() on the first resample, else compute()."""
        def with_(fn: Callable[..., Any]) -> Callable[[np.ndarray], float]:
            def score(ids: np.ndarray) -> float:
                try:
                    return pick_number(fn(**self._inputs(ids)), self.target, "a resample")
                except Exception:  # noqa: BLE001 - undefined on this resample (e.g. one class only): left out of the interval
                    return math.nan
            return score

        fast, public = with_(self.module._compute), with_(self.module.compute)
        a, b = fast(first), public(first)
        agree = (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
        return fast if agree else public

    def explain(self, stats: np.ndarray) -> str | None:
        return "no examples to score" if len(stats) == 0 else None


def pick_number(result: Any, target: EvaluateTarget, on: str) -> float:
    """The one number of a result: #KEY if named, else the key equal to the metric's name, else the only number."""
    if not isinstance(result, dict) or not result:
        raise HarnessError(f"{target.written} returned no number on {on} (got {_show(result)}); its _compute must "
                           "return a dict such as {\"accuracy\": 0.9}")
    if target.key is not None:
        if target.key not in result:
            raise HarnessError(f"{target.written}: the result has no key '{target.key}' (keys: "
                               f"{', '.join(map(str, result))}); write evaluate:...#KEY with one of them")
        chosen = result[target.key]
    elif target.short_name in result:
        chosen = result[target.short_name]
    else:
        found = [value for value in result.values() if _is_number(value)]
        if len(found) != 1:
            what = "no number" if not found else "several numbers"
            raise HarnessError(f"{target.written} returned {what} on {on} ({_show(result)}); pick one key with "
                               f"evaluate:{target.written[len('evaluate:'):].partition('#')[0]}#KEY")
        chosen = found[0]
    if not _is_number(chosen):
        raise HarnessError(f"{target.written} returned no number on {on} ({_show(result)}); its _compute must "
                           "return a number under the chosen key")
    return float(chosen)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def register_evaluate_metric(written: str, base_dir, input_kind: str, task_kind: str) -> tuple[Metric, str]:
    """Load, check (kind, a two-example probe) and register `evaluate:...`; (the Metric, its identity).

    The identity ("name@sha256 of the metric's script") goes into the task hash, so runs scored by
    other metric code get other run ids. One name stands for one metric code per process.
    """
    target = parse(written, base_dir)
    module = load_module(target)
    accepts = input_kinds(module)
    if input_kind not in accepts:
        takes = " or ".join(GIVES[k] for k in sorted(accepts)) or "inputs the harness does not give"
        raise HarnessError(f"{written} takes {takes}; a {task_kind} task gives {GIVES[input_kind]}: name a metric "
                           "of the task's kind")
    identity = f"{written}@{code_hash(module)}"
    known = _IDENTITIES.get(written)
    if known is not None and known != identity:
        raise HarnessError(f"{written} names two different metric scripts in one process ({known} and "
                           f"{identity}); give them different file names")
    if known is not None and written in METRICS:
        return METRICS.get(written), identity
    adapter = EvaluateMetric(target, module, input_kind)
    predictions, references = PROBES[input_kind]
    try:
        result = module.compute(predictions=predictions, references=references)
    except Exception as error:  # noqa: BLE001 - the metric's own code, on a two-example check
        raise HarnessError(f"{written} failed on a two-example check ({type(error).__name__}: {error}); it must "
                           f"score {GIVES[input_kind]}") from None
    pick_number(result, target, "a two-example check")
    metric = METRICS.register(adapter.metric(), replace=True)
    _IDENTITIES[written] = identity
    return metric, identity
