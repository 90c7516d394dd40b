"""One recorded tiny run in its own folder, and a fresh copy of it per test: bad-input tests show nothing changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from user_tasks import write_user_tasks

from harness.cli.main import main


def record_tiny_run(root: Path, encoder_dir: Path, *flags: str) -> Path:
    """`root` with the tests' tasks (my_tasks/) and one tiny-sentiment run recorded in results/."""
    tasks = write_user_tasks(root / "my_tasks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_TASKS_PATH", str(tasks))
        patch.delenv("HARNESS_DATA_DIR", raising=False)
        assert main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--epochs", "1", "--results",
                     str(root / "results"), "--quiet", *flags]) == 0
    return root


def fresh_results(recorded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the recorded results, with the tests' tasks on the task path."""
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(recorded / "my_tasks"))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    shutil.copytree(recorded / "results", tmp_path / "results")
    return tmp_path / "results"
