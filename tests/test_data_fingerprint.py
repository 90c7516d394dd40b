"""A record remembers the data files it was made on: edited data is never answered with an old result."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.cli.main import main
from harness.tasks import load_task, prepare_data
from harness.tasks.fingerprint import data_change
from interrupt import ctrl_c_after_update


def _run(env, encoder_dir, *args):
    return main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--results", str(env / "results"),
                 "--epochs", "1", "--quiet", *args])


def _sweep(env, encoder_dir):
    return main(["sweep", "--model", str(encoder_dir), "--methods", "full,bitfit", "--task", "tiny-sentiment",
                 "--results", str(env / "results"), "--epochs", "1", "--quiet", "--in-process"])


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".locks" not in p.parts}


def _edit_train_file(env) -> None:
    train = env / "my_tasks" / "sentiment" / "train.tsv"
    train.write_text(train.read_text() + "an unexpectedly moving film\t1\n")


def test_records_fingerprint_every_local_file_they_read(env):
    data = prepare_data(load_task("tiny-sentiment"), None, seed=0)
    digests = data.info["file_sha256"]
    expected = hashlib.sha256((env / "my_tasks" / "sentiment" / "dev.tsv").read_bytes()).hexdigest()[:16]
    assert set(digests) == {"train", "dev"} and digests["dev"] == expected


def test_a_run_recorded_on_other_data_is_refused_not_reused_then_forced(env, encoder_dir, capsys):
    assert _run(env, encoder_dir) == 0
    (record_path,) = (env / "results" / "tiny-sentiment").glob("*.json")
    before = _snapshot(env / "results")
    assert _run(env, encoder_dir) == 0 and "already recorded" in capsys.readouterr().out  # same data: reused

    _edit_train_file(env)
    assert _run(env, encoder_dir) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    assert "was recorded on other data: its train file" in error and "train.tsv changed since" in error
    assert "rerun it with --force" in error
    assert _snapshot(env / "results") == before  # nothing recorded was touched

    assert _run(env, encoder_dir, "--force") == 0
    record = json.loads(record_path.read_text())
    assert record["data"]["train_split_size"] == 25 and not data_change(record, load_task("tiny-sentiment"), None)


def test_a_sweep_fails_a_stale_run_instead_of_counting_it_recorded(env, encoder_dir, capsys):
    assert _sweep(env, encoder_dir) == 0
    capsys.readouterr()
    _edit_train_file(env)
    assert _sweep(env, encoder_dir) == 1  # failed runs make the sweep exit 1; both stay as they were recorded
    said = capsys.readouterr()
    assert "0 ran, 0 already recorded, 2 failed" in said.out and "was recorded on other data" in said.err


def test_records_from_before_fingerprints_are_still_reused(env, encoder_dir, capsys):
    assert _run(env, encoder_dir) == 0
    (record_path,) = (env / "results" / "tiny-sentiment").glob("*.json")
    record = json.loads(record_path.read_text())
    del record["data"]["file_sha256"]
    record_path.write_text(json.dumps(record))
    _edit_train_file(env)
    capsys.readouterr()
    assert _run(env, encoder_dir) == 0 and "already recorded" in capsys.readouterr().out


def test_compare_leaves_out_records_made_on_other_data(env, encoder_dir, capsys):
    args = ["compare", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--methods", "bitfit",
            "--epochs", "1", "--results", str(env / "results"), "--quiet", "--n-boot", "200", "--in-process"]
    assert main(args) == 0
    capsys.readouterr()
    _edit_train_file(env)
    assert main([*args, "--no-run"]) == 2  # nothing left to compare
    said = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "2 of 2 runs are not recorded on this data (--no-run)" in said and "no runs to compare" in said


def test_a_saved_model_is_not_re_evaluated_on_other_data(env, encoder_dir, capsys):
    assert _run(env, encoder_dir, "--save-model") == 0
    (record_path,) = (env / "results" / "tiny-sentiment").glob("*.json")
    run_id = record_path.stem
    capsys.readouterr()
    assert main(["verify", run_id, "--eval-only", "--results", str(env / "results")]) == 0
    _edit_train_file(env)
    capsys.readouterr()
    assert main(["verify", run_id, "--eval-only", "--results", str(env / "results")]) == 2
    assert "was recorded on other data: its train file" in capsys.readouterr().err


def test_a_checkpoint_is_not_resumed_on_other_data(env, encoder_dir, monkeypatch, capsys):
    undo = ctrl_c_after_update(monkeypatch, 3)
    args = ["--epochs", "2", "--batch-size", "4", "--checkpoint-every", "2"]
    assert _run(env, encoder_dir, *args) == 130
    (checkpoint,) = (env / "results" / "tiny-sentiment").glob("*.checkpoint.pt")
    saved = checkpoint.read_bytes()
    undo()
    _edit_train_file(env)
    capsys.readouterr()
    assert _run(env, encoder_dir, *args, "--resume") == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "was taken on other data (the train file changed since)" in error
    assert checkpoint.read_bytes() == saved  # kept, for the data it was taken on
