"""Runs recorded by `harness run` on a tiny model carry metric versions and feed a user's own view."""

from __future__ import annotations

import json
import statistics

import pytest

from harness.cli.main import main

VIEW = """
name: tiny
title: Tiny sentiment
runs: {task: tiny-sentiment}
columns:
  - task: tiny-sentiment
  - {task: tiny-sentiment, metric: f1}
  - {cost: trainable_parameters}
"""


def test_recorded_runs_carry_metric_versions_and_feed_a_view(env, encoder_dir, capsys):
    for seed in ("0", "1"):
        assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--results",
                     str(env / "results"), "--epochs", "1", "--seed", seed, "--quiet"]) == 0
    records = [json.loads(p.read_text()) for p in (env / "results" / "tiny-sentiment").glob("*.json")]
    assert len(records) == 2
    assert all(record["task"]["metric_versions"] == {"accuracy": 1, "f1": 1} for record in records)

    (env / "views").mkdir()
    (env / "views" / "tiny.yaml").write_text(VIEW)
    capsys.readouterr()
    assert main(["leaderboard", "tiny", "--views-dir", str(env / "views"), "--results", str(env / "results"),
                 "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    accuracy = row["cells"]["tiny-sentiment"]
    assert accuracy["n"] == 2 and set(accuracy["run_ids"]) == {record["run_id"] for record in records}
    expected = statistics.fmean(record["metrics"]["dev"]["values"]["accuracy"] for record in records)
    assert accuracy["value"] == pytest.approx(expected)
    assert row["cells"]["trainable_parameters"]["value"] == records[0]["costs"]["trainable_parameters"]
