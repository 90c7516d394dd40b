"""The results folder: atomic writes, lookups, tolerance of bad files."""

from __future__ import annotations

import errno
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
    assert store.load_predictions("sst2", "abc")[0]["prediction"] == 1
    assert sorted(p.name for p in (tmp_path / "sst2").iterdir()) == ["abc.json", "abc.predictions.jsonl.gz"]


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
    with pytest.raises(HarnessError, match="is a file, not a folder; pass --results DIR"):
        ResultStore(tmp_path / "results").check_writable()


def test_a_full_disk_is_one_line_and_leaves_neither_file_nor_a_temporary(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    real_fsync = os.fsync
    calls = []

    def disk_full_on_the_second_file(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:  # the predictions went out whole; the record does not fit
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", disk_full_on_the_second_file)
    with pytest.raises(HarnessError, match=r"cannot write .*abc.json \(No space left on device\); nothing was "):
        store.write(_record(), [{"id": "validation-0", "prediction": 1}])
    assert list((tmp_path / "sst2").iterdir()) == []  # no orphan predictions, no temporary file


def test_a_model_that_cannot_be_saved_leaves_no_folder(tmp_path, monkeypatch):
    import torch

    import harness.artifact as artifact

    def disk_full(tensors, filename):
        open(filename, "wb").write(b"part")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(artifact, "save_file", disk_full)
    folder = tmp_path / "sst2" / "abc.model"
    with pytest.raises(HarnessError, match="cannot save the model to .*No space left on device"):
        artifact.save_trained({"w": torch.zeros(2)}, folder, {"run_id": "abc"})
    assert list((tmp_path / "sst2").iterdir()) == []


def test_room_is_checked_before_training(tmp_path):
    with pytest.raises(HarnessError, match=r"has .* MB free and this run needs at least .* for its checkpoints"):
        ResultStore(tmp_path / "new" / "results").check_room(2**62, "its checkpoints")
    ResultStore(tmp_path).check_room(1, "its checkpoints")


def test_plain_predictions_of_an_older_harness_are_read_and_replaced_on_a_rewrite(tmp_path):
    store = ResultStore(tmp_path)
    store.write(_record(), [{"id": "validation-0", "prediction": 1}])
    packed = store.predictions_path("sst2", "abc")
    plain = packed.with_name("abc.predictions.jsonl")
    packed.unlink()
    plain.write_text('{"id": "validation-0", "prediction": 0}\n', encoding="utf-8")  # as runs before 2026-12-06
    assert store.predictions_path("sst2", "abc") == plain
    assert store.load_predictions("sst2", "abc") == [{"id": "validation-0", "prediction": 0}]
    store.write(_record(), [{"id": "validation-0", "prediction": 1}])
    assert not plain.exists() and store.load_predictions("sst2", "abc")[0]["prediction"] == 1
