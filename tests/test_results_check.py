"""`harness results check`: every kind of damaged file is named, and nothing is changed."""

from __future__ import annotations

import hashlib
import json

from harness.cli.main import main
from harness.record.check import CORRUPT, INCOMPLETE, LEFTOVER, NEWER_SCHEMA, OLD_SCHEMA, ORPHAN, check_results
from harness.record.store import SCHEMA_VERSION


def _record(run_id: str, **changes) -> dict:
    record = {"schema_version": SCHEMA_VERSION, "run_id": run_id, "spec": {"model": "m", "method": "full"},
              "task": {"name": "sst2"}, "headline": {"value": 0.9}, "metrics": {}}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def _write(folder, run_id, record=None, text=None, predictions=True):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run_id}.json").write_text(text if text is not None else json.dumps(record), encoding="utf-8")
    if predictions:
        (folder / f"{run_id}.predictions.jsonl").write_text('{"id": "a", "prediction": 1}\n', encoding="utf-8")


def _damaged_folder(root):
    task = root / "sst2"
    _write(task, "good", _record("good"))
    _write(task, "broken", text='{"run_id": "broken", "spec": {')
    _write(task, "partial", _record("partial", metrics=None))
    _write(task, "old", _record("old", schema_version=0))
    _write(task, "future", _record("future", schema_version=SCHEMA_VERSION + 1))
    _write(task, "nopreds", _record("nopreds"), predictions=False)
    (task / ".crashed.json.abc.tmp").write_text("{", encoding="utf-8")
    (task / "lost.predictions.jsonl").write_text("{}\n", encoding="utf-8")
    (task / "profiles").mkdir()
    (task / "profiles" / "p.json").write_text(json.dumps({"kind": "run"}), encoding="utf-8")


def _digests(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_damaged_file_is_named_once(tmp_path):
    _damaged_folder(tmp_path)
    found = {(f.path.name, f.problem) for f in check_results(tmp_path)}
    assert found == {
        (".crashed.json.abc.tmp", LEFTOVER), ("broken.json", CORRUPT), ("partial.json", INCOMPLETE),
        ("old.json", OLD_SCHEMA), ("future.json", NEWER_SCHEMA), ("nopreds.json", INCOMPLETE),
        ("lost.predictions.jsonl", ORPHAN), ("p.json", INCOMPLETE),
    }


def test_check_command_exits_1_on_problems_and_changes_nothing(tmp_path, capsys):
    _damaged_folder(tmp_path)
    before = _digests(tmp_path)
    assert main(["results", "check", "--results", str(tmp_path), "--json"]) == 1
    assert len(json.loads(capsys.readouterr().out)) == 8
    assert _digests(tmp_path) == before


def test_a_sound_folder_passes(tmp_path, capsys):
    _write(tmp_path / "sst2", "good", _record("good"))
    assert main(["results", "check", "--results", str(tmp_path)]) == 0
    assert "every record is readable" in capsys.readouterr().out
    assert main(["results", "check", "--results", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_readers_keep_older_records_with_a_warning_and_skip_newer_ones(tmp_path):
    from harness.record.store import ResultStore

    _damaged_folder(tmp_path)
    seen = {path.stem: (record is not None, problem) for path, record, problem in ResultStore(tmp_path).records()}
    assert seen["good"] == (True, None)
    assert seen["old"][0] is True and "older schema 0" in seen["old"][1]
    assert seen["future"][0] is False and "upgrade the harness" in seen["future"][1]
    assert seen["broken"][0] is False and seen["partial"][0] is False
