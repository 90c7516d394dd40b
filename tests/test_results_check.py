"""`harness results check`: every kind of damaged file is named, and nothing is changed."""

from __future__ import annotations

import hashlib
import json

from harness.cli.main import main
from harness.record.check import CORRUPT, INCOMPLETE, LEFTOVER, NEWER_SCHEMA, OLD_SCHEMA, ORPHAN, check_results
from harness.record.store import SCHEMA_VERSION, ResultStore


def _record(run_id: str, **changes) -> dict:
    record = {"schema_version": SCHEMA_VERSION, "run_id": run_id, "spec": {"model": "m", "method": "full"},
              "task": {"name": "sst2"}, "headline": {"value": 0.9}, "metrics": {}}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


ROW = '{"split": "validation", "id": "a", "prediction": 1}\n'


def _write(folder, run_id, record=None, text=None, predictions=True):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run_id}.json").write_text(text if text is not None else json.dumps(record), encoding="utf-8")
    if predictions:
        (folder / f"{run_id}.predictions.jsonl").write_text(ROW, encoding="utf-8")


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
    _write(task, "copied", _record("good"))  # a copy under another name: readers would count "good" twice
    _write(task, "typed", _record("typed", spec={"model": "m", "method": "full", "seed": -1}))
    _write(task, "nan", _record("nan", metrics={"validation": {"values": {"accuracy": float("nan")}}}))
    for run_id, rows in (("cut", ROW + '{"split": "valid'), ("twice", ROW + ROW)):
        _write(task, run_id, _record(run_id))
        (task / f"{run_id}.predictions.jsonl").write_text(rows, encoding="utf-8")
    _write(task, "latin", _record("latin"))
    (task / "latin.predictions.jsonl").write_bytes(ROW.replace("a", "\xe9").encode("latin-1"))
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
        ("lost.predictions.jsonl", ORPHAN), ("p.json", INCOMPLETE), ("copied.json", CORRUPT), ("typed.json", CORRUPT),
        ("nan.json", CORRUPT), ("cut.predictions.jsonl", CORRUPT), ("twice.predictions.jsonl", CORRUPT),
        ("latin.predictions.jsonl", CORRUPT),
    }
    details = {f.path.name: f.detail for f in check_results(tmp_path)}
    assert details["copied.json"].startswith("holds run good, not the run its name says")
    assert details["typed.json"].startswith("spec seed -1 is not a whole number from 0 to 4294967295")
    assert details["nan.json"] == "metrics of validation: accuracy not a finite number"
    assert details["cut.predictions.jsonl"].startswith("line 2 is not a JSON row")
    assert details["twice.predictions.jsonl"].startswith("line 2 repeats example a of validation")
    assert details["latin.predictions.jsonl"].startswith("not UTF-8 text")


def test_check_command_exits_1_on_problems_and_changes_nothing(tmp_path, capsys):
    _damaged_folder(tmp_path)
    before = _digests(tmp_path)
    assert main(["results", "check", "--results", str(tmp_path), "--json"]) == 1
    assert len(json.loads(capsys.readouterr().out)) == 14
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


def test_a_record_copied_under_another_name_is_skipped_by_readers_not_counted_twice(tmp_path):
    _write(tmp_path / "sst2", "good", _record("good"))
    _write(tmp_path / "sst2", "copied", _record("good"))
    read = {path.name: (record is not None, problem) for path, record, problem in ResultStore(tmp_path).records()}
    assert read["good.json"] == (True, None)
    assert read["copied.json"][0] is False and read["copied.json"][1].startswith("holds run good")
