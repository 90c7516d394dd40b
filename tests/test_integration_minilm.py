"""The real packaged MiniLM on small slices of the real data: it learns, well above chance."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main

pytestmark = pytest.mark.integration


def _record(results, task):
    (path,) = (results / task).glob("*.json")
    return json.loads(path.read_text())


def test_minilm_lora_learns_sst2(data_dir, tmp_path):
    # 800 training phrases, 2 epochs: a slice that takes seconds, still far above the 0.51 majority class.
    code = main(["run", "--model", "minilm", "--method", "lora", "--task", "sst2", "--train-limit", "800",
                 "--eval-limit", "400", "--epochs", "2", "--data-dir", str(data_dir), "--results", str(tmp_path),
                 "--quiet"])
    assert code == 0
    record = _record(tmp_path, "sst2")
    accuracy = record["metrics"]["validation"]["values"]["accuracy"]
    assert accuracy > 0.70, accuracy
    assert record["model"]["trainable_share"] < 0.02
    assert record["data"]["holdout_size"] == 1000 and record["metrics"]["validation"]["n"] == 400


def test_minilm_full_learns_conll2003_entities(data_dir, tmp_path):
    # Small batches and a higher rate: enough updates on 1000 sentences to find entities.
    code = main(["run", "--model", "minilm", "--method", "full", "--task", "conll2003", "--train-limit", "1000",
                 "--eval-limit", "300", "--epochs", "3", "--batch-size", "16", "--lr", "2e-4",
                 "--data-dir", str(data_dir), "--results", str(tmp_path), "--quiet"])
    assert code == 0
    record = _record(tmp_path, "conll2003")
    test = record["metrics"]["test"]
    assert record["headline"]["split"] == "test"
    assert test["values"]["entity_f1"] > 0.6, test["values"]
    assert set(test["details"]["per_type"]) == {"PER", "ORG", "LOC", "MISC"}
    assert "conlleval" in test["details"] and test["details"]["ner_mode"] == "strict"


def test_minilm_regression_on_stsb_correlates(data_dir, tmp_path):
    code = main(["run", "--model", "minilm", "--method", "full", "--task", "stsb", "--train-limit", "1000",
                 "--eval-limit", "300", "--epochs", "3", "--data-dir", str(data_dir),
                 "--results", str(tmp_path), "--quiet"])
    assert code == 0
    values = _record(tmp_path, "stsb")["metrics"]["validation"]["values"]
    assert values["pearson"] > 0.6 and values["spearman"] > 0.6, values
