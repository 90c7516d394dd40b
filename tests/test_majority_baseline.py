"""Fine-tuned classification runs print and record the majority-class baseline, as prompted runs do."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from harness.cli.main import main
from harness.tasks import load_task, prepare_data


def test_a_fine_tuned_run_records_and_prints_its_majority_class_baseline(env, encoder_dir, capsys):
    assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--epochs", "1", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    (path,) = (env / "results" / "tiny-sentiment").glob("*.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    data = prepare_data(load_task("tiny-sentiment"), None, seed=0)
    label, _ = Counter(example.label for example in data.train).most_common(1)[0]
    dev = data.evaluation["dev"]
    expected = sum(example.label == label for example in dev) / len(dev)
    baseline = record["majority_class"]
    assert baseline["label"] == load_task("tiny-sentiment").label_names[label]
    assert baseline["metrics"]["dev"]["values"]["accuracy"] == pytest.approx(expected)
    assert f"majority class ({baseline['label']}) accuracy {expected:.4f} on dev" in " ".join(out.split())
