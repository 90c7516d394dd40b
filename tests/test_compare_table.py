"""build_comparison and its renderings over constructed run records (no models, no training)."""

from __future__ import annotations

import re
import struct
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from harness.compare import (
    BETTER,
    INDISTINGUISHABLE,
    NO_PAIRED_SEEDS,
    REFERENCE,
    WORSE,
    build_comparison,
    markdown,
    pareto_front,
    plot_pareto,
    rich_table,
    verdict_sentences,
)
from harness.errors import HarnessError

N = 1000
REFERENCES = np.random.default_rng(0).integers(0, 2, N)
FULL_PARAMS = 22_700_000


def _costs(trainable: float, **overrides: Any) -> dict[str, Any]:
    return {
        "trainable_parameters": trainable, "total_parameters": FULL_PARAMS, "trainable_share": trainable / FULL_PARAMS,
        "deploy_bytes": 4 * trainable, "train_seconds": 300.0, "train_examples_per_second": 120.0,
        "peak_train_memory_mb": 850.0, "memory_kind": "rss", "inference_examples_per_second": 1500.0, **overrides,
    }


def _record(method: str, seed: int, *, kind: str = "text_classification", metric: str = "accuracy",
            labels: list[str] | None = None, task_hash: str = "hash-a", model: str = "minilm",
            eval_limit: int | None = None, method_options: dict[str, Any] | None = None,
            costs: dict[str, Any] | None = None) -> dict[str, Any]:
    options = method_options or {}
    run_id = f"{method}-{seed}-{task_hash}-{model}-{eval_limit}-" + "-".join(f"{k}{v}" for k, v in options.items())
    return {
        "run_id": run_id,
        "spec": {"model": model, "method": method, "task": "sst2", "seed": seed,
                 "training": {"lr": 5e-5 if method == "full" else 5e-4, "epochs": 3}, "method_options": options,
                 "max_length": 128, "train_limit": None, "eval_limit": eval_limit, "pooling": None, "fold": None},
        "task": {"name": "sst2", "kind": kind, "hash": task_hash, "metrics": [metric], "headline": metric,
                 "labels": labels if labels is not None else ["negative", "positive"]},
        "headline": {"split": "dev", "metric": metric, "value": None, "interval": None},
        "costs": costs if costs is not None else _costs(FULL_PARAMS if method == "full" else 300_000),
    }


class Runs:
    """Records and their prediction rows, built up one run at a time."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.predictions: dict[str, list[dict[str, Any]]] = {}

    def add(self, method: str, seed: int, predictions: Any, references: Any = REFERENCES, **options: Any) -> None:
        record = _record(method, seed, **options)
        self.records.append(record)
        self.predictions[record["run_id"]] = [
            {"split": "dev", "id": f"dev-{i}", "prediction": _plain(p), "reference": _plain(r)}
            for i, (p, r) in enumerate(zip(predictions, references))
        ]

    def compare(self, **options: Any):
        return build_comparison(self.records, self.predictions, **options)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _base(seed: int) -> np.ndarray:
    """About 75% right."""
    wrong = np.random.default_rng(100 + seed).random(N) < 0.25
    return np.where(wrong, 1 - REFERENCES, REFERENCES)


def _fix(predictions: np.ndarray, how_many: int, *, right: bool) -> np.ndarray:
    """Make the first `how_many` wrong predictions right (right=True), or right ones wrong."""
    out = predictions.copy()
    pick = np.flatnonzero((out != REFERENCES) if right else (out == REFERENCES))[:how_many]
    out[pick] = 1 - out[pick]
    return out


def _verdict_runs() -> Runs:
    runs = Runs()
    for seed in (0, 1, 2):
        base = _base(seed)
        runs.add("full", seed, base)
        runs.add("better", seed, _fix(base, 120, right=True))
        runs.add("worse", seed, _fix(base, 120, right=False))
        runs.add("same", seed, _fix(_fix(base, 3, right=True), 3, right=False))
    return runs


def test_verdicts_for_better_worse_and_indistinguishable() -> None:
    comparison = _verdict_runs().compare()
    verdicts = {row.label: row.verdict for row in comparison.rows}
    assert verdicts == {"full": REFERENCE, "better": BETTER, "worse": WORSE, "same": INDISTINGUISHABLE}
    # reference first, then by mean score, best first
    assert [row.label for row in comparison.rows] == ["full", "better", "same", "worse"]
    better = comparison.row("better")
    assert better.delta == pytest.approx(0.12)
    assert better.p_value < 0.01 and better.mcnemar_p < 0.01
    assert better.mcnemar.candidate_only == 360 and better.mcnemar.reference_only == 0
    same = comparison.row("same")
    assert same.delta == 0 and same.p_value > 0.5
    assert comparison.row("full").delta is None and comparison.row("full").p_value is None


def test_always_right_against_always_wrong() -> None:
    runs = Runs()
    for seed in (0, 1):
        runs.add("full", seed, 1 - REFERENCES)
        runs.add("lora", seed, REFERENCES)
    lora = runs.compare(n_boot=1000).row("lora")
    assert lora.verdict == BETTER and lora.delta == 1.0
    assert lora.p_value == 0 and lora.mcnemar_p < 1e-100
    assert lora.interval == (1.0, 1.0)


def test_scores_means_and_costs_over_seeds() -> None:
    runs = Runs()
    runs.add("full", 0, REFERENCES)  # accuracy 1
    runs.add("full", 1, np.where(np.arange(N) < 100, 1 - REFERENCES, REFERENCES))  # accuracy 0.9
    runs.add("lora", 0, REFERENCES, costs=_costs(1_000_000, train_seconds=100.0))
    runs.add("lora", 1, REFERENCES, costs=_costs(1_400_000, train_seconds=None))
    comparison = runs.compare()
    full, lora = comparison.row("full"), comparison.row("lora")
    assert full.seeds == (0, 1) and full.scores == pytest.approx((1.0, 0.9))
    assert full.mean == pytest.approx(0.95) and full.std == pytest.approx(np.std([1.0, 0.9], ddof=1))
    assert full.interval[0] <= 0.95 <= full.interval[1]
    assert lora.costs.trainable_parameters == 1_200_000
    assert lora.costs.train_seconds == 100.0  # a missing value is left out of the mean
    assert lora.costs.memory_kind == "rss"
    assert comparison.best() is lora


def test_no_paired_seeds() -> None:
    runs = Runs()
    for seed in (0, 1):
        runs.add("full", seed, _base(seed))
    runs.add("bitfit", 7, _base(7))
    comparison = runs.compare()
    bitfit = comparison.row("bitfit")
    assert bitfit.verdict == NO_PAIRED_SEEDS and bitfit.p_value is None and bitfit.mcnemar is None
    assert "bitfit shares no seed with full (seeds 7 vs 0, 1)" in verdict_sentences(comparison)[0]


def test_only_shared_seeds_are_paired() -> None:
    runs = Runs()
    for seed in (0, 1, 2):
        runs.add("full", seed, _base(seed))
    runs.add("lora", 1, _fix(_base(1), 50, right=True))
    runs.add("lora", 5, REFERENCES)  # no full run with seed 5: kept for the mean, not paired
    lora = runs.compare().row("lora")
    assert lora.paired_seeds == (1,)
    assert lora.delta == pytest.approx(0.05)
    assert lora.mcnemar.pairs == N


def test_mixed_task_hashes_are_refused() -> None:
    runs = Runs()
    runs.add("full", 0, REFERENCES, task_hash="hash-a")
    runs.add("lora", 0, REFERENCES, task_hash="hash-b")
    with pytest.raises(HarnessError, match=r"task definition hash .*hash-a.*hash-b") as error:
        runs.compare()
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("option", "values", "named"), [
    ("model", ("minilm", "smollm2"), "model"),
    ("eval_limit", (None, 500), "eval_limit"),
])
def test_mixed_models_and_settings_are_refused(option: str, values: tuple, named: str) -> None:
    runs = Runs()
    runs.add("full", 0, REFERENCES, **{option: values[0]})
    runs.add("lora", 0, REFERENCES, **{option: values[1]})
    with pytest.raises(HarnessError, match=named):
        runs.compare()


def test_missing_reference_is_refused() -> None:
    runs = Runs()
    runs.add("lora", 0, REFERENCES)
    runs.add("adapter", 0, REFERENCES)
    with pytest.raises(HarnessError, match=r"unknown reference method 'full'.*valid: adapter, lora") as error:
        runs.compare()
    assert "\n" not in str(error.value)


def test_runs_on_different_examples_are_refused() -> None:
    runs = Runs()
    runs.add("full", 0, REFERENCES)
    runs.add("lora", 0, REFERENCES[:-1], REFERENCES[:-1])
    with pytest.raises(HarnessError, match="different dev examples"):
        runs.compare()


def test_configurations_of_one_method_become_rows() -> None:
    runs = Runs()
    runs.add("full", 0, _base(0))
    runs.add("lora", 0, _base(0), method_options={"r": 8})
    runs.add("lora", 0, REFERENCES, method_options={"r": 16})
    labels = [row.label for row in runs.compare().rows]
    assert labels == ["full", "lora (r=16)", "lora (r=8)"]


def test_regression_task_with_pearson() -> None:
    rng = np.random.default_rng(1)
    references = rng.uniform(0, 5, 300).round(2)
    runs = Runs()
    for seed in (0, 1):
        runs.add("full", seed, (references + rng.normal(0, 1.5, 300)).tolist(), references.tolist(),
                 kind="regression", metric="pearson", labels=[])
        runs.add("lora", seed, (references + rng.normal(0, 0.3, 300)).tolist(), references.tolist(),
                 kind="regression", metric="pearson", labels=[])
    comparison = runs.compare()
    lora = comparison.row("lora")
    assert comparison.metric == "pearson" and lora.verdict == BETTER
    assert lora.mcnemar is None and not comparison.has_mcnemar
    assert "p (McNemar)" not in markdown(comparison)


def test_ner_task_with_tag_lists() -> None:
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    gold = [["B-PER", "I-PER", "O", "B-LOC"] if i % 3 else ["O", "B-LOC", "I-LOC", "O"] for i in range(240)]
    half = [["O"] * 4 if i % 2 else list(s) for i, s in enumerate(gold)]
    runs = Runs()
    for seed in (0, 1):
        runs.add("full", seed, half, gold, kind="token_classification", metric="entity_f1", labels=tags)
        runs.add("lora", seed, gold, gold, kind="token_classification", metric="entity_f1", labels=tags)
        runs.add("prompt", seed, half, gold, kind="token_classification", metric="entity_f1", labels=tags)
    comparison = runs.compare()
    assert comparison.row("lora").verdict == BETTER and comparison.row("lora").mean == 1.0
    assert comparison.row("prompt").verdict == INDISTINGUISHABLE and comparison.row("prompt").p_value == 1
    assert comparison.row("full").mean == pytest.approx(comparison.row("prompt").mean)
    # older records without the label list: the tags seen give every run the same columns
    for record in runs.records:
        del record["task"]["labels"]
    assert runs.compare().row("lora").delta == pytest.approx(comparison.row("lora").delta)


def test_sentences_and_markdown() -> None:
    comparison = _verdict_runs().compare()
    sentences = verdict_sentences(comparison)
    assert len(sentences) == 3
    pattern = (r"same is indistinguishable from full on sst2 accuracy "
               r"\(delta \+0\.000, 95% CI \[-0\.\d{3}, 0\.\d{3}\], p = ")
    assert any(re.match(pattern, s) for s in sentences)
    assert "better is better than full on sst2 accuracy (delta +0.120, 95% CI [" in sentences[0]
    assert sentences[0].endswith("p < 0.001)")
    text = markdown(comparison)
    for sentence in sentences:
        assert f"- {sentence}" in text
    assert "paired bootstrap" in text and "alpha = 0.05" in text and "McNemar" in text
    best = comparison.row("better")
    assert f"**{best.mean:.3f} ± {best.std:.3f}**" in text
    assert "| full | 3 |" in text and "22.7M (100%)" in text and "300K (1.3%)" in text
    assert "1.2 MB" in text and "120 ex/s" in text and "850 MB (rss)" in text and "5 min" in text


def test_rich_table_renders_every_method() -> None:
    console = Console(record=True, width=250)
    console.print(rich_table(_verdict_runs().compare()))
    text = console.export_text()
    for label in ("full", "better", "worse", "same", "indistinguishable", "p (McNemar)"):
        assert label in text


def test_pareto_front_on_a_hand_example() -> None:
    points = {
        "full": (100e6, 0.90),
        "lora": (1e6, 0.89),
        "adapter": (2e6, 0.88),  # more parameters and lower score than lora: beaten
        "bitfit": (0.1e6, 0.85),
        "prompt": (0.1e6, 0.80),  # as few parameters as bitfit, lower score: beaten
        "big": (200e6, 0.90),  # full scores the same with fewer parameters: beaten
        "broken": (1e3, float("nan")),
    }
    assert pareto_front(points) == ["bitfit", "lora", "full"]
    assert pareto_front(points, higher_is_better=False) == ["prompt"]  # fewest parameters and lowest score
    assert pareto_front({"a": (1, 0.5), "b": (1, 0.5)}) == ["a", "b"]


def test_plot_writes_a_png(tmp_path) -> None:
    runs = Runs()
    for seed in (0, 1):
        runs.add("full", seed, _base(seed))
        runs.add("lora", seed, _fix(_base(seed), 20, right=True), costs=_costs(300_000))
        runs.add("bitfit", seed, _fix(_base(seed), 20, right=False), costs=_costs(100_000))
    path = plot_pareto(runs.compare(), tmp_path / "plots" / "pareto.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 200 and height > 200


def test_plot_without_costs_is_refused(tmp_path) -> None:
    runs = Runs()
    runs.add("full", 0, REFERENCES, costs={})
    with pytest.raises(HarnessError, match="trainable parameters"):
        plot_pareto(runs.compare(), tmp_path / "p.png")


def test_ten_methods_three_seeds_give_one_row_each() -> None:
    runs = Runs()
    for m in range(10):
        for seed in (0, 1, 2):
            runs.add("full" if m == 0 else f"method{m}", seed, _fix(_base(seed), 10 * m, right=True))
    comparison = runs.compare(n_boot=1000)
    assert len(comparison.rows) == 10
