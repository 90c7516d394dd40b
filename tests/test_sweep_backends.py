"""Sweeps on a cluster at tiny scale: Ray (a local instance the sweep starts) and Slurm (through submitit's
local executor) record the same runs as the local backend, into the same layout; bad input is one line.

benchmarks/ray_sweep.py does the same on minilm and real data, and kills a Ray worker mid-run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
import torch

from harness.cli.main import main
from harness.record.lock import SpecLock
from harness.sweep import Grid, MethodEntry, plan_grid, run_grid
from sweep_helpers import REPO, SUMMARY, TASK, assert_sound, hold_lock, predictions, records, release
from harness.sweep.backends.remote import run_privately



class InlineCluster:
    """A cluster backend without a cluster: each run goes through the workers' own function, in this
    process, when waited for; two runs out at a time. Checks the sweep holds a run's lock while it is out."""

    name = "inline"
    writes_in_driver = True
    slots = 2

    def __init__(self, output: Path):
        self.output = output
        self.out: dict[int, tuple] = {}
        self.started = 0
        self.most_out = 0

    def open(self, say) -> None:
        say("inline: opened")

    def start(self, run, options) -> int:
        self.started += 1
        self.out[self.started] = (run, options)
        self.most_out = max(self.most_out, len(self.out))
        return self.started

    def wait(self, tickets):
        ticket = min(tickets)
        run, options = self.out.pop(ticket)
        holder = SpecLock(self.output, run.task.name, run.spec.run_id(run.task.hash)).holder()
        assert holder is not None and holder.startswith(f"pid {os.getpid()} ")  # the sweep holds it
        return ticket, run_privately(run.spec, run.task, options, list(sys.argv))

    def close(self) -> None:
        assert not self.out


def _sweep(encoder_dir: Path, output: Path, *extra: str) -> int:
    return main(["sweep", "--model", str(encoder_dir), "--methods", "full,lora", "--task", TASK, "--seeds", "2",
                 "--epochs", "1", "--quiet", "--results", str(output), *extra])


def _assert_same_runs(output: Path, reference: Path, count: int) -> None:
    """Same run ids, spec, metrics and predictions (CPU runs are bit-reproducible); no bad file."""
    got, expected = records(output), records(reference)
    assert len(got) == count and set(got) == set(expected)
    for run_id, record in got.items():
        for key in ("spec", "headline", "metrics", "data"):
            assert record[key] == expected[run_id][key], (run_id, key)
        assert predictions(output, run_id) == predictions(reference, run_id)
    assert_sound(output)


def test_ray_backend_records_what_the_local_backend_does_and_a_rerun_skips_all(env, encoder_dir, capsys):
    pytest.importorskip("ray")
    on_ray, local = env / "ray", env / "local"
    assert _sweep(encoder_dir, on_ray, "--backend", "ray", "--cpus-per-run", "1") == 0
    out, err = capsys.readouterr()
    assert SUMMARY.search(out).groups() == ("4", "0", "0")
    assert "a local Ray instance (loopback only)" in err and "0 GPU(s) each" in err
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a 1-CPU Ray task: CPU results are bit-identical at equal thread counts
    try:
        assert _sweep(encoder_dir, local, "--in-process") == 0
    finally:
        torch.set_num_threads(threads)
    _assert_same_runs(on_ray, local, 4)

    before = {path: path.stat().st_mtime_ns for path in (on_ray / TASK).glob("*")}
    capsys.readouterr()
    assert _sweep(encoder_dir, on_ray, "--backend", "ray") == 0
    out, err = capsys.readouterr()
    assert SUMMARY.search(out).groups() == ("0", "4", "0")
    assert "Ray instance" not in err  # nothing left to run: no cluster started
    assert {path: path.stat().st_mtime_ns for path in (on_ray / TASK).glob("*")} == before


def test_slurm_backend_through_submitits_local_executor(env, encoder_dir, monkeypatch):
    pytest.importorskip("submitit")
    from harness.sweep.backends.slurm_backend import SlurmBackend

    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the jobs are fresh interpreters started by submitit
    planned = plan_grid(Grid(models=[str(encoder_dir)], methods=[MethodEntry("full"), MethodEntry("bitfit")],
                             tasks=[TASK], seeds=[0], training={"epochs": 1}))
    lines: list[str] = []
    backend = SlurmBackend(env / "slurm", gpus_per_run=0, time_min=5, cluster="local")
    result = run_grid(planned, output=env / "jobs", show_progress=False, announce=lines.append, backend=backend)
    assert (result.ran, result.skipped, result.failed) == (2, 0, [])
    assert lines[0].startswith("slurm: one job per run on submitit's local executor")
    run_grid(planned, output=env / "local", show_progress=False, isolate=False, announce=lambda line: None)
    _assert_same_runs(env / "jobs", env / "local", 2)
    assert list((env / "slurm").glob("*_log.out"))  # submitit's logs where --slurm-folder said


def test_a_cluster_backend_puts_off_a_run_another_process_holds_then_runs_it(env, encoder_dir, monkeypatch):
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # the worker function sets the recorded command line
    planned = plan_grid(Grid(models=[str(encoder_dir)], methods=[MethodEntry("full"), MethodEntry("bitfit")],
                             tasks=[TASK], seeds=[0, 1], training={"epochs": 1}))
    output = env / "results"
    held_id = planned[0].spec.run_id(planned[0].task.hash)
    lines: list[str] = []
    with hold_lock(output, held_id) as holder:
        def announce(line: str) -> None:
            lines.append(line)
            if "waiting for" in line:  # the other process dies without recording it: it runs here
                release(holder)

        backend = InlineCluster(output)
        result = run_grid(planned, output=output, show_progress=False, announce=announce, backend=backend)
    assert f"is being run by pid {holder.pid} on " in lines[0] and lines[0].endswith("; coming back to it")
    assert lines[1] == "inline: opened"  # once the first run goes out
    assert any(f"waiting for pid {holder.pid} " in line for line in lines)
    assert result.deferred == 1 and (result.ran, result.skipped, result.failed) == (4, 0, [])
    assert backend.most_out == 2  # runs went out two at a time
    assert set(records(output)) == {run.spec.run_id(run.task.hash) for run in planned}
    assert all(SpecLock(output, TASK, run_id).holder() is None for run_id in records(output))  # all let go
    run_grid(planned, output=env / "local", show_progress=False, isolate=False, announce=lambda line: None)
    _assert_same_runs(output, env / "local", 4)


@pytest.mark.parametrize("args, message", [
    (["--backend", "rya"], "unknown sweep backend 'rya'; did you mean ray? (valid: local, ray, slurm)"),
    (["--address", "10.0.0.1:6379"], "--address applies to --backend ray, not local; drop it or pass --backend ray"),
    (["--backend", "slurm", "--address", "auto"], "--address applies to --backend ray, not slurm"),
    (["--backend", "ray", "--checkpoint-every", "5"], "--checkpoint-every applies to --backend local, not ray"),
])
def test_bad_backend_flags_are_one_line(env, encoder_dir, capsys, args, message):
    assert _sweep(encoder_dir, env / "results", *args) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (env / "results").exists()


@pytest.mark.parametrize("backend, module, message", [
    ("ray", "ray", "error: the ray backend needs Ray: pip install 'harness[ray]'"),
    ("slurm", "submitit", "error: the slurm backend needs submitit: pip install 'harness[slurm]'"),
])
def test_a_missing_extra_says_what_to_install(env, encoder_dir, capsys, monkeypatch, backend, module, message):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed: find_spec None, import fails
    assert _sweep(encoder_dir, env / "results", "--backend", backend) == 2
    assert capsys.readouterr().err.strip() == message


def test_an_unreachable_ray_address_is_one_line_quickly(env, encoder_dir, capsys):
    pytest.importorskip("ray")
    started = time.monotonic()
    assert _sweep(encoder_dir, env / "results", "--backend", "ray", "--address", "127.0.0.1:1") == 2
    assert time.monotonic() - started < 30
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("error: cannot reach a Ray cluster at --address 127.0.0.1:1 (")
    assert "ray start --head" in error[-1] and len([line for line in error if line.startswith("error")]) == 1
    assert not list((env / "results").glob("*/*.json"))


def test_save_model_is_refused_on_a_cluster_backend(env, encoder_dir, capsys):
    pytest.importorskip("ray")
    assert _sweep(encoder_dir, env / "results", "--backend", "ray", "--save-model") == 2
    assert capsys.readouterr().err.strip().endswith(
        "--save-model works with --backend local only (the weights would stay on the worker); drop it, or run the "
        "sweep with --backend local")


def test_compare_sends_its_missing_runs_to_the_backend_asked_for(env, encoder_dir, monkeypatch):
    import harness.cli.backend_options as backend_options

    monkeypatch.setattr(sys, "argv", list(sys.argv))  # the worker function sets the recorded command line
    output = env / "results"
    clusters: list[InlineCluster] = []

    def make_backend(name, **settings):
        assert name == "ray" and settings["cpus_per_run"] == 2
        clusters.append(InlineCluster(output))
        return clusters[-1]

    monkeypatch.setattr(backend_options, "make_backend", make_backend)
    assert main(["compare", "--model", str(encoder_dir), "--methods", "bitfit", "--task", TASK, "--epochs", "1",
                 "--quiet", "--results", str(output), "--backend", "ray", "--cpus-per-run", "2"]) == 0
    assert clusters[0].started == 2  # the reference (full) and bitfit, both through the cluster
    assert len(records(output)) == 2
