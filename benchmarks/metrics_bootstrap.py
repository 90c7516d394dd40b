"""Bootstrap cost: seconds for 1000 resamples of 10k examples per metric family.

    python benchmarks/metrics_bootstrap.py
"""

from __future__ import annotations

import time

import numpy as np

from harness.metrics import evaluate


def timed(names, predictions, references) -> float:
    start = time.perf_counter()
    evaluate(names, predictions, references, n_boot=1000)
    return time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 10_000)
    noisy = np.where(rng.random(10_000) < 0.8, labels, 1 - labels)
    scores = rng.normal(size=10_000)
    print(f"classification (accuracy, f1, f1_macro, mcc): "
          f"{timed(['accuracy', 'f1', 'f1_macro', 'matthews_correlation'], noisy.tolist(), labels.tolist()):.2f} s")
    print(f"pearson + spearman: {timed(['pearson', 'spearman'], (scores + rng.normal(size=10_000)).tolist(), scores.tolist()):.2f} s")


if __name__ == "__main__":
    main()
