"""`harness verify`: a CPU run repeats bit for bit; a changed record is caught; the record is never touched."""

from __future__ import annotations

import hashlib
import json

from harness.cli.main import main
from harness.record.store import ResultStore, atomic_replace, gzipped_rows


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_cpu_run_repeats_exactly_and_a_tampered_one_does_not(env, encoder_dir, capsys):
    results = env / "results"
    assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--epochs", "2", "--device", "cpu",
                 "--results", str(results), "--quiet"]) == 0
    (record_path,) = (results / "tiny-sentiment").glob("*.json")
    run_id = json.loads(record_path.read_text())["run_id"]
    before = _digest(results)
    capsys.readouterr()
    assert main(["verify", run_id[:8], "--results", str(results), "--device", "cpu", "--quiet"]) == 0
    assert "repeats exactly" in capsys.readouterr().out
    assert _digest(results) == before

    store = ResultStore(results)
    rows = store.load_predictions("tiny-sentiment", run_id)
    rows[0]["prediction"] = 1 - rows[0]["prediction"]
    atomic_replace(store.predictions_path("tiny-sentiment", run_id), gzipped_rows(rows))
    assert main(["verify", run_id, "--results", str(results), "--device", "cpu", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "did not repeat" in out and f"1 of {len(rows)} rows differ" in out and "prediction" in out


def test_an_unknown_run_is_a_one_line_error(env, capsys):
    (env / "results" / "sst2").mkdir(parents=True)
    assert main(["verify", "deadbeef00", "--results", str(env / "results")]) == 2
    assert capsys.readouterr().err.startswith("error: no run deadbeef00 recorded in")


def test_a_prompt_run_records_its_linear_layers_and_a_change_of_them_is_named(env, causal_lm_dir, capsys,
                                                                              monkeypatch):
    from harness.replay.verify import _linear_layers_changed

    monkeypatch.setenv("HARNESS_ONEDNN", "0")
    results = env / "results"
    assert main(["run", "--model", str(causal_lm_dir), "--method", "zero-shot", "--task", "tiny-sentiment",
                 "--device", "cpu", "--results", str(results), "--quiet"]) == 0
    (record_path,) = (results / "tiny-sentiment").glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["prompting"]["linear_layers"] == "pytorch"
    capsys.readouterr()
    assert main(["verify", record["run_id"], "--results", str(results), "--device", "cpu", "--quiet"]) == 0
    assert "repeats exactly" in capsys.readouterr().out

    onednn = {"prompting": {"linear_layers": "onednn"}}
    assert "HARNESS_ONEDNN=0" in _linear_layers_changed(record, onednn)
    older = {"prompting": {k: v for k, v in record["prompting"].items() if k != "linear_layers"}}
    assert "through pytorch linear layers" in _linear_layers_changed(older, onednn)
    assert "HARNESS_ONEDNN=1" in _linear_layers_changed(onednn, record)
    assert _linear_layers_changed(record, record) is None
    assert _linear_layers_changed({"metrics": {}}, {"metrics": {}}) is None
