"""`harness sweep` and `harness compare` end to end on a tiny model and the tests' own tasks."""

from __future__ import annotations

import json

import pytest

import harness.sweep.scheduler as sweep_scheduler
from harness.cli.main import main


def _sweep(env, model_dir, *args):
    return main(["sweep", "--model", str(model_dir), "--results", str(env / "results"), "--epochs", "1", "--quiet",
                 *args])


def _records(env, task="tiny-sentiment"):
    return sorted((env / "results" / task).glob("*.json"))


def test_interrupted_sweep_resumes_with_only_the_missing_runs(env, encoder_dir, monkeypatch):
    grid = ["--methods", "full,lora,bitfit", "--task", "tiny-sentiment", "--seeds", "2", "--in-process"]
    executed = []
    real_execute = sweep_scheduler.execute

    def interrupted_after_three(spec, task, **kwargs):
        if len(executed) == 3:
            raise KeyboardInterrupt
        executed.append((spec.method, spec.seed))
        return real_execute(spec, task, **kwargs)

    monkeypatch.setattr(sweep_scheduler, "execute", interrupted_after_three)
    assert _sweep(env, encoder_dir, *grid) == 130
    assert len(_records(env)) == 3
    first_three = set(executed)

    trained = []

    def recording(spec, task, **kwargs):
        outcome = real_execute(spec, task, **kwargs)
        if not outcome.skipped:
            trained.append((spec.method, spec.seed))
        return outcome

    monkeypatch.setattr(sweep_scheduler, "execute", recording)
    assert _sweep(env, encoder_dir, *grid) == 0
    records = [json.loads(p.read_text()) for p in _records(env)]
    assert len(records) == 6
    assert len(trained) == 3 and not set(trained) & first_three  # only the missing runs trained
    assert {(r["spec"]["method"], r["spec"]["seed"]) for r in records} == first_three | set(trained)


def test_each_run_trains_in_its_own_process_and_a_rerun_skips_them(env, encoder_dir, capsys, monkeypatch):
    def not_here(*args, **kwargs):
        raise AssertionError("a run executed in the sweep's own process")

    monkeypatch.setattr(sweep_scheduler, "execute", not_here)  # the spawned children import the real one
    grid = ["--methods", "full,bitfit", "--task", "tiny-sentiment"]
    assert _sweep(env, encoder_dir, *grid) == 0
    assert len(_records(env)) == 2
    before = {p: p.stat().st_mtime_ns for p in _records(env)}
    capsys.readouterr()
    assert _sweep(env, encoder_dir, *grid) == 0
    assert capsys.readouterr().out.startswith("sweep done: 0 ran, 2 already recorded")
    assert {p: p.stat().st_mtime_ns for p in _records(env)} == before


def test_sweep_file_with_a_bad_entry_runs_nothing(env, encoder_dir, capsys):
    sweep_file = env / "sweep.yaml"
    sweep_file.write_text("methods: [full, {name: lora, options: {rank: 4}}, lorra]\ntasks: [tiny-sentiment]\n")
    assert _sweep(env, encoder_dir, "--file", str(sweep_file)) == 2
    error = capsys.readouterr().err
    assert "2 bad entries" in error and "methods[1] lora" in error and "--lora-r" in error
    assert "methods[2] lorra" in error and "did you mean lora" in error
    assert not (env / "results").exists()


def test_missing_data_files_are_reported_before_any_run(env, encoder_dir, capsys):
    dev = env / "my_tasks" / "sentiment" / "dev.tsv"
    dev.unlink()
    assert _sweep(env, encoder_dir, "--task", "tiny-sentiment", "--methods", "full,lora") == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: the sweep needs 1 data file(s) that are not there, nothing ran")
    assert f"task tiny-sentiment split dev: {dev} is missing" in error and len(error.splitlines()) == 1
    assert not (env / "results").exists()


@pytest.mark.parametrize("args, message", [
    (["--methods", "full", "--lora-r", "4"], "--lora-r only apply to another method"),
    (["--methods", "full", "--seeds", "zero"], "--seeds zero: expected"),
    (["--methods", "full,full"], "twice"),
    (["--methods", "full", "--adalora-init-r", "x"], "--adalora-init-r x: expected a whole number"),
])
def test_sweep_bad_flags(env, encoder_dir, capsys, args, message):
    assert _sweep(env, encoder_dir, "--task", "tiny-sentiment", *args) == 2
    assert message in capsys.readouterr().err


def test_sweep_file_entries_carry_their_own_options(env, encoder_dir, capsys):
    sweep_file = env / "sweep.yaml"
    sweep_file.write_text("methods: [lora, {name: lora, options: {r: 2}}]\ntasks: [tiny-sentiment]\nseeds: [3]\n")
    assert _sweep(env, encoder_dir, "--file", str(sweep_file), "--dry-run") == 0
    assert capsys.readouterr().out.count("lora · tiny-sentiment · seed 3") == 2


def test_sweep_file_perturb_reaches_every_run_as_run_perturb_does(env, encoder_dir, capsys):
    sweep_file = env / "sweep.yaml"
    sweep_file.write_text("methods: [full]\ntasks: [tiny-sentiment]\nseeds: [0]\nperturb: keyboard_typos\n")
    assert _sweep(env, encoder_dir, "--file", str(sweep_file), "--dry-run") == 0
    from_file = capsys.readouterr().out
    assert _sweep(env, encoder_dir, "--methods", "full", "--task", "tiny-sentiment", "--perturb", "keyboard_typos",
                  "--dry-run") == 0
    from_flag = capsys.readouterr().out
    assert _sweep(env, encoder_dir, "--methods", "full", "--task", "tiny-sentiment", "--dry-run") == 0
    clean = capsys.readouterr().out
    run_id = from_file.strip().splitlines()[-1].split()[0]
    assert run_id == from_flag.strip().splitlines()[-1].split()[0] != clean.strip().splitlines()[-1].split()[0]


def test_compare_runs_what_is_missing_and_writes_report_and_plot(env, encoder_dir, capsys):
    args = ["compare", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--methods", "lora,bitfit",
            "--seeds", "2", "--epochs", "1", "--results", str(env / "results"), "--quiet", "--n-boot", "200"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "reference" in out and "lora" in out and "bitfit" in out
    assert len(_records(env)) == 6  # full added as the reference
    report = next((env / "results" / "compare").glob("*.md")).read_text()
    assert "full" in report and "paired bootstrap" in report
    assert next((env / "results" / "compare").glob("*.png")).read_bytes()[:4] == b"\x89PNG"
    before = {p: p.stat().st_mtime_ns for p in _records(env)}
    assert main([*args, "--no-run"]) == 0  # nothing runs again
    assert {p: p.stat().st_mtime_ns for p in _records(env)} == before


def test_compare_bad_alpha(env, encoder_dir, capsys):
    assert main(["compare", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--alpha", "1.5"]) == 2
    assert "--alpha 1.5" in capsys.readouterr().err


def test_a_damaged_record_or_a_bug_in_one_run_fails_that_run_and_the_others_run(env, encoder_dir, capsys,
                                                                                  monkeypatch):
    grid = ["--methods", "full", "--task", "tiny-sentiment", "--seeds", "3", "--in-process"]
    assert _sweep(env, encoder_dir, *grid[:-3], "--seeds", "1", "--in-process") == 0
    damaged = _records(env)[0]
    damaged.write_text("[1, 2]", encoding="utf-8")
    real_execute = sweep_scheduler.execute

    def buggy_seed_one(spec, task, **kwargs):
        if spec.seed == 1:
            raise ZeroDivisionError("a bug")
        return real_execute(spec, task, **kwargs)

    monkeypatch.setattr(sweep_scheduler, "execute", buggy_seed_one)
    capsys.readouterr()
    assert _sweep(env, encoder_dir, *grid, "--dry-run") == 0
    assert "will fail: run record" in capsys.readouterr().out
    assert _sweep(env, encoder_dir, *grid) == 1
    err = capsys.readouterr().err
    assert "2 run(s) failed" in err and "not a whole run record" in err and "unexpected error ZeroDivisionError" in err
    assert damaged.read_text(encoding="utf-8") == "[1, 2]"  # never overwritten without --force
    assert [json.loads(p.read_text())["spec"]["seed"] for p in _records(env) if p != damaged] == [2]
