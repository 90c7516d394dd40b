"""Installed like any package: a wheel built from this checkout, installed into a fresh virtual environment,
carries the built-in tasks and leaderboard views, and runs a built-in task from a folder outside the checkout.

The fresh environment gets the wheel only (--no-deps); its dependencies come from the test's own environment
through a path entry, so the test needs no network and no second copy of torch."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment holding the harness wheel; returns its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
                            "--quiet", "--wheel-dir", str(root / "dist")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("harness-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    site = Path(subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies: this environment's site-packages as a plain path entry (its .pth files, among them the
    # editable install of this checkout, are not run from there, so `harness` resolves to the wheel).
    (site / "test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                                str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    (bin_dir / "harness").write_text(f"#!{bin_dir / 'python'}\nimport sys\nfrom harness.cli.main import main\n"
                                     "sys.exit(main())\n")
    (bin_dir / "harness").chmod(0o755)
    return bin_dir


def _call(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "HARNESS_TASKS_PATH",
                                                                         "HARNESS_LEADERBOARDS_PATH")}
    env["COLUMNS"] = "200"  # tables unwrapped, one name per cell
    return subprocess.run([str(bin_dir / "harness"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_the_wheel_is_what_runs(installed, tmp_path):
    where = subprocess.run([str(installed / "python"), "-c", "import harness; print(harness.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(installed.parent) and not Path(where).is_relative_to(REPO)


def test_builtin_tasks_and_views_come_with_the_wheel(installed, tmp_path):
    tasks = _call(installed, tmp_path, "tasks")
    assert tasks.returncode == 0, tasks.stderr
    assert {"sst2", "conll2003", "fewclue-tnews", "cluener"} <= set(tasks.stdout.split())
    views = _call(installed, tmp_path, "leaderboard", "--list")
    assert views.returncode == 0, views.stderr
    names = {line.split()[0] for line in views.stdout.splitlines()}
    assert {"glue", "clue", "ner", "peft", "robustness", "prompt-spread"} <= names
    assert str(REPO) not in views.stdout  # the views are the wheel's copies


def test_a_builtin_task_runs_from_the_wheel(installed, tmp_path, encoder_dir, data_dir):
    ran = _call(installed, tmp_path, "run", "--model", str(encoder_dir), "--method", "full", "--task", "sst2",
                "--data-dir", str(data_dir), "--train-limit", "16", "--eval-limit", "16", "--epochs", "1",
                "--quiet", "--device", "cpu")
    assert ran.returncode == 0, ran.stderr
    (record,) = (tmp_path / "results" / "sst2").glob("*[0-9a-f].json")
    assert '"name": "sst2"' in record.read_text()
