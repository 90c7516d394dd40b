"""The bad-input catalogue (issue 8): every mistake a user can make gets one line saying what was wrong
and how to fix it, a documented exit code, no traceback, and leaves every recorded file as it was.

Each case runs the CLI in-process in a folder that already holds a real recorded run (made once per
module with the tiny encoder on the tests' tiny task). A case builds its bad input inside that folder,
the results folder is hashed, the command runs, and the case checks: the exact exit code, exactly one
non-empty stderr line holding a fragment that names the bad thing and one that says how to fix it, no
"Traceback" anywhere, and the same results files (new files only under `.locks/`).

A "tolerated" case is an input the harness must get through: exit code as given, one warning line per
bad file, and the good output still printed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from bad_input_cases import CASES as CORE_CASES
from bad_input_cases import TASK, Case, World
from bad_input_cases_scale import SCALE_CASES
from bad_input_cases_tools import TOOL_CASES
from user_tasks import write_user_tasks

from harness.cli.main import main
from harness.errors import BAD_INPUT, RUN_FAILED

CASES = [*CORE_CASES, *TOOL_CASES, *SCALE_CASES]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, encoder_dir) -> tuple[Path, str]:
    """A results folder holding one real run of the tiny encoder on the tiny task (made once)."""
    root = tmp_path_factory.mktemp("recorded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(root / "my_tasks")))
        patch.delenv("HARNESS_DATA_DIR", raising=False)
        assert main(["run", "--model", str(encoder_dir), "--task", TASK, "--epochs", "1", "--quiet",
                     "--results", str(root / "results")]) == 0
    (record,) = (root / "results" / TASK).glob("*.json")
    return root / "results", record.stem


def _snapshot(folder: Path) -> dict[str, str]:
    """Hash of every recorded file; lock files (a lock per spec hash) may come and go."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".locks" not in p.relative_to(folder).parts}


def _params() -> list:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, recorded, encoder_dir, decoder_dir, tmp_path, monkeypatch, capsys):
    results, run_id = recorded
    shutil.copytree(results, tmp_path / "results")
    tasks = write_user_tasks(tmp_path / "my_tasks")
    for name in ("HARNESS_DATA_DIR", "HARNESS_RESULTS", "HARNESS_LEADERBOARDS_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(tasks))
    monkeypatch.chdir(tmp_path)
    world = World(tmp_path, tmp_path / "results", tasks, encoder_dir, decoder_dir, run_id, monkeypatch)
    try:
        argv = case.argv(world)
        before = _snapshot(world.results)
        capsys.readouterr()
        try:
            code, crash = main(argv), ""
        except SystemExit as exc:
            code, crash = exc.code, ""
        except Exception:  # a bug: the harness let an exception escape as a traceback
            code, crash = None, traceback.format_exc()
        out, err = capsys.readouterr()
        after = _snapshot(world.results)
    finally:
        world.results.chmod(world.results.stat().st_mode | stat.S_IWUSR)
    assert not crash, f"traceback instead of a one-line error:\n{crash}"
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == case.code, f"exit {code}, expected {case.code}; stderr: {err!r}"
    what = case.what.format(run_id=run_id)
    if case.warnings is not None:
        assert len(lines) == case.warnings, f"expected {case.warnings} warning line(s): {err!r}"
        assert all(line.startswith("warning:") and what in line for line in lines), err
        assert case.fix in out, out
    else:
        if case.progress:
            assert [line.startswith("error:") for line in lines].count(True) == 1, err
            lines = lines[-1:]
        assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {err!r}"
        assert what in lines[0], f"{what!r} not in {lines[0]!r}"
        assert case.fix in lines[0], f"{case.fix!r} not in {lines[0]!r}"
    assert after == before, "a recorded file changed, or one was added"


def test_a_real_process_gets_the_exit_code_and_one_line(tmp_path):
    """Through `python -m harness`: the code reaches the shell and nothing else (no library warning) reaches stderr."""
    env = {**os.environ, "HARNESS_TASKS_PATH": str(write_user_tasks(tmp_path / "my_tasks")),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--task", "tiny-sentimnt", "--results", "results"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == BAD_INPUT, done.stderr
    assert len(lines) == 1 and "did you mean tiny-sentiment" in lines[0], done.stderr
    assert not (tmp_path / "results").exists()


def test_the_catalogue_is_large_and_uses_only_documented_codes():
    assert len(CASES) >= 45 and len({case.id for case in CASES}) == len(CASES)
    assert {case.code for case in CASES} <= {0, RUN_FAILED, BAD_INPUT}
