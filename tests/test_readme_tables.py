"""Every table of measured figures in the README is what its command renders from the committed records."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "readme_tables.py"


@pytest.fixture
def committed_results(tmp_path, data_dir, monkeypatch) -> Path:
    """The records git tracks under results/, copied: runs a user adds there change no README table."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "results"], cwd=REPO, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the committed records cannot be told from others")
    files = [name for name in listed.stdout.decode().split("\0") if name]
    if not files:
        pytest.skip("no records committed under results/")
    for name in files:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    monkeypatch.setenv("HARNESS_DATA_DIR", str(data_dir))
    return tmp_path / "results"


def _check(results: Path, readme: Path = REPO / "README.md") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", "--results", str(results), "--readme", str(readme)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def test_every_readme_table_is_rendered_from_the_committed_records(committed_results):
    done = _check(committed_results)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<!-- table: harness leaderboard peft" in (REPO / "README.md").read_text(encoding="utf-8")


def test_a_table_that_differs_from_its_records_is_named(committed_results, tmp_path):
    readme = tmp_path / "README.md"
    text = (REPO / "README.md").read_text(encoding="utf-8")
    readme.write_text(text.replace("| minilm | full |", "| minilm | full (edited) |", 1), encoding="utf-8")
    done = _check(committed_results, readme)
    assert done.returncode == 1 and "harness leaderboard peft" in done.stdout


def test_a_damaged_record_is_named_by_file(committed_results):
    record = sorted((committed_results / "sst2").glob("*.json"))[0]
    record.write_text(record.read_text(encoding="utf-8")[:100], encoding="utf-8")
    done = _check(committed_results)
    assert done.returncode == 2 and record.name in done.stderr and done.stderr.count("\n") == 1
