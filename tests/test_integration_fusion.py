"""Ensembles and merges of the real packaged MiniLM on small slices of real CoNLL-2003 and SST-2."""

from __future__ import annotations

import json

import pytest

from harness.cli.main import main
from harness.fusion.iob2 import is_valid
from harness.record.store import ResultStore

pytestmark = pytest.mark.integration


def _run(data_dir, results, task, seed, *extra):
    assert main(["run", "--model", "minilm", "--task", task, "--seed", str(seed), "--init-seed", "0",
                 "--epochs", "1", "--data-dir", str(data_dir), "--results", str(results), "--quiet", *extra]) == 0


def test_conll_ensemble_spans_are_valid(data_dir, tmp_path, capsys):
    for seed in (0, 1):
        _run(data_dir, tmp_path, "conll2003", seed, "--train-limit", "200", "--eval-limit", "60", "--batch-size",
             "16", "--lr", "2e-4")
    capsys.readouterr()
    assert main(["ensemble", "--task", "conll2003", "--results", str(tmp_path), "--data-dir", str(data_dir),
                 "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    rows = ResultStore(tmp_path).load_predictions("conll2003", record["run_id"])
    assert len(rows) == 120 and all(is_valid(row["prediction"]) for row in rows)
    assert set(record["fusion"]["against"]["members"]) == {m["run_id"] for m in record["fusion"]["members"]}


def test_sst2_soup_of_shared_init_members_is_saved_and_reevaluates(data_dir, tmp_path, capsys):
    for seed in (0, 1):
        _run(data_dir, tmp_path, "sst2", seed, "--train-limit", "400", "--eval-limit", "200", "--save-model")
    capsys.readouterr()
    assert main(["merge", "--task", "sst2", "--results", str(tmp_path), "--data-dir", str(data_dir), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    members = record["fusion"]["against"]["members"]
    assert record["headline"]["value"] > 0.6 and len(members) == 2  # well above the majority class
    assert main(["verify", record["run_id"], "--eval-only", "--results", str(tmp_path),
                 "--data-dir", str(data_dir)]) == 0
