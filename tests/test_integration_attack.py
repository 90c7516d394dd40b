"""Attacks on the real packaged MiniLM and real SST-2 text: they flip real predictions, and every adversarial
text keeps to the constraints the record names."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from harness.attack.substitutes import STOP_WORDS, SUBSTITUTES
from harness.cli.main import main
from harness.tasks import load_split, load_task

pytestmark = pytest.mark.integration


def test_word_and_char_attacks_flip_minilm_on_real_sst2_within_their_limits(data_dir, tmp_path):
    code = main(["run", "--model", "minilm", "--method", "lora", "--task", "sst2", "--train-limit", "800",
                 "--eval-limit", "120", "--epochs", "2", "--attack", "word,char", "--attack-budget", "40",
                 "--data-dir", str(data_dir), "--results", str(tmp_path), "--quiet"])
    assert code == 0
    (path,) = (tmp_path / "sst2").glob("*[0-9a-f].json")
    record = json.loads(path.read_text())
    report = record["attack"]["validation"]
    clean = record["metrics"]["validation"]["values"]["accuracy"]
    assert report["worst_case"]["metrics"]["values"]["accuracy"] < clean - 0.1  # real flips, not noise
    with gzip.open(path.with_name(f"{record['run_id']}.attacked.jsonl.gz"), "rt") as handle:
        rows = [json.loads(line) for line in handle]
    texts = {e.id: e.text for e in load_split(load_task("sst2"), "validation", data_dir)}
    for row in rows:
        assert row["queries"] <= 40
        assert len(row["changes"]) <= int(0.25 * row["units"])
        for position, old, new in row["changes"]:
            assert old.lower() not in STOP_WORDS
            if row["attack"] == "word":
                assert new.lower() in SUBSTITUTES[old.lower()]
        if row["changes"]:  # the adversarial text is the clean one with exactly those words replaced
            words = re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", texts[row["id"]])
            for position, old, new in row["changes"]:
                assert words[position] == old
                words[position] = new
            assert re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", row["text"]) == words
