"""The results folder: atomic writes, lookups, tolerance of bad files."""

from __future__ import annotations

import json
import os

import pytest

from harness.errors import HarnessError
from harness.record.store import SCHEMA_VERSION, ResultStore, atomic_write


def _record(run_id="abc", task="sst2"):
    return {"schema_version": SCHEMA_VERSION, "run_id": run_id, "task": {"name": task}, "metrics": {}, "spec": {}}


def test_write_puts_predictions_and_record_in_place(tmp_path):
    store = ResultStore(tmp_path)
    path = store.write(_record(), [{"id": "validation-0", "prediction": 1}])
    assert path == tmp_path / "sst2" / "abc.json"
    assert store.exists("sst2", "abc")
    lines = store.predictions_path("sst2", "abc").read_text().splitlines()
    assert json.loads(lines[0])["prediction"] == 1
    assert sorted(p.name for p in (tmp_path / "sst2").iterdir()) == ["abc.json", "abc.predictions.jsonl"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old")

    def chunks():
        yield "new"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, chunks())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_records_tolerates_corrupt_files(tmp_path):
    store = ResultStore(tmp_path)
    store.write(_record("good"), [])
    (tmp_path / "sst2" / "broken.json").write_text("{not json")
    (tmp_path / "sst2" / "other.json").write_text("[1, 2]")
    found = {p.name: problem for p, _, problem in store.records()}
    assert found["good.json"] is None
    assert "unreadable" in found["broken.json"] and "not a run record" in found["other.json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_results_folder_is_reported(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(HarnessError, match="not writable"):
            ResultStore(tmp_path / "results").check_writable()
    finally:
        tmp_path.chmod(0o700)


def test_file_in_place_of_results_folder_is_reported(tmp_path):
    (tmp_path / "results").write_text("")
    with pytest.raises(HarnessError, match="is a file, not a folder; pass --output DIR"):
        ResultStore(tmp_path / "results").check_writable()
