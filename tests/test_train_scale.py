"""The scale benchmark (benchmarks/train_scale.py): its arithmetic on a fake clock, the named GPU peaks, the
configurations' sizes, and an end-to-end run on a tiny configuration; its CUDA paths skip cleanly without CUDA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from harness.scale.throughput import (
    CONFIGS,
    Peak,
    count_parameters,
    llama_config,
    mfu,
    named_peak,
    tokens_per_second,
)

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "train_scale.py"
CUDA = torch.cuda.is_available()


def test_tokens_per_second_and_mfu_on_a_fake_clock():
    # one warm-up update ending at t=5.0, then 10 timed updates of 4 x 512 tokens over 2.0 s of fake time
    stamps = [5.0 + 0.2 * i for i in range(11)]
    rate = tokens_per_second(stamps, 4 * 512, warmup=1)
    assert rate == pytest.approx(10 * 4 * 512 / 2.0)  # 10,240 tokens/s
    peak = Peak("test", 989e12, "test")
    assert mfu(1_000_000_000, rate, peak) == pytest.approx(6 * 1e9 * 10_240 / 989e12)
    assert mfu(1_000_000_000, rate, None) is None


def test_warm_up_updates_are_not_timed():
    # the warm-up update takes 100 s; the two timed ones 1 s each
    assert tokens_per_second([100.0, 101.0, 102.0], 1000, warmup=1) == pytest.approx(1000.0)
    assert tokens_per_second([100.0, 101.0, 102.0], 1000, warmup=2) == pytest.approx(1000.0)
    with pytest.raises(ValueError):
        tokens_per_second([1.0, 2.0], 1000, warmup=2)  # nothing left to time
    with pytest.raises(ValueError):
        tokens_per_second([1.0, 2.0], 1000, warmup=0)  # no clock reading before the first timed update


@pytest.mark.parametrize(("name", "flops"), [
    ("NVIDIA H100 80GB HBM3", 989e12), ("NVIDIA H100 PCIe", 756e12), ("NVIDIA H100 NVL", 835e12),
    ("NVIDIA H200", 989e12), ("NVIDIA A100-SXM4-80GB", 312e12), ("NVIDIA L4", 121e12), ("NVIDIA L40S", 362e12),
])
def test_named_peaks(name, flops):
    peak = named_peak(name)
    assert peak is not None and peak.flops == flops and "datasheet" in peak.source


def test_unknown_device_has_no_peak_and_the_override_wins():
    assert named_peak("Some Future GPU") is None
    assert named_peak(None) is None  # CPU
    assert named_peak("NVIDIA H100 80GB HBM3", 500).flops == 500e12
    assert named_peak(None, 100).flops == 100e12


@pytest.mark.parametrize(("name", "low", "high"), [("0.5b", 0.45e9, 0.55e9), ("1b", 1.1e9, 1.3e9),
                                                   ("3b", 3.0e9, 3.4e9), ("8b", 7.3e9, 8.1e9)])
def test_configurations_are_the_sizes_named(name, low, high):
    # counted on the meta device: no memory; the backbone without an LM head, plus a 2-label head
    count = count_parameters(llama_config(name))
    assert low <= count.total <= high
    embedding = CONFIGS[name]["vocab_size"] * CONFIGS[name]["hidden_size"]
    assert count.embedding == embedding and count.flop_parameters == count.total - embedding


def run_script(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, str(SCRIPT), "--cache-dir", str(tmp_path / "cache"), *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900, check=False)


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import train_scale
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return train_scale


@pytest.mark.parametrize("bad", [["--steps", "0"], ["--warmup", "0"], ["--batch-size", "-1"],
                                 ["--seq-lens", "512,abc"], ["--peak-tflops", "0"], ["--repeats", "1e9"],
                                 ["--methods", "sgd"], ["--configs", "70b"]])
def test_out_of_range_options_are_refused(bad, script, capsys):
    with pytest.raises(SystemExit) as exit_:
        script.parse_args(bad)
    assert exit_.value.code == 2
    assert "expected" in capsys.readouterr().err


def tiny_run(tmp_path: Path, methods: str) -> dict:
    out = tmp_path / "scale.json"
    done = run_script("--configs", "tiny", "--seq-lens", "16", "--methods", methods, "--checkpointing", "both",
                      "--loops", "harness,plain,trainer", "--batch-size", "2", "--steps", "2", "--warmup", "1",
                      "--output", str(out), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "harness tok/s" in done.stdout  # the one table
    return json.loads(out.read_text())


@pytest.mark.skipif(CUDA, reason="the CPU run; test_gpu_run_measures_every_cell covers CUDA")
def test_cpu_run_of_the_tiny_configuration(tmp_path):
    result = tiny_run(tmp_path, "full,lora,qlora")
    assert not result["cuda"] and result["peak"] is None and result["versions"]["torch"] == torch.__version__
    cells = {(c["method"], c["checkpointing"]): c for c in result["cells"]}
    assert set(cells) == {(m, ckpt) for m in ("full", "lora", "qlora") for ckpt in (False, True)}
    for ckpt in (False, True):
        assert cells["qlora", ckpt]["status"] == "cuda_only" and cells["qlora", ckpt]["runs"] == []
        for method in ("full", "lora"):
            cell = cells[method, ckpt]
            assert cell["status"] == "measured"
            for loop in ("harness", "plain", "trainer"):
                entry = cell["loops"][loop]
                assert entry["status"] == "ok" and entry["tokens_per_s"] > 0 and entry["mfu"] is None
                assert entry["peak_rss_mb"] > 0 and entry["rss_rise_mb"] >= 0
            assert set(cell["ratios"]) == {"harness/plain", "harness/trainer"}
            assert all(ratio > 0 for ratio in cell["ratios"].values())
            assert "largest_batch" not in cell  # GPU only
            stamps = [len(r["stamps"]) for r in cell["runs"]]
            assert stamps == [3, 3, 3]  # warm-up + 2 timed updates, each loop
    # the README's table of that record, as benchmarks/readme_tables.py renders it
    done = run_script("--render", "scale.json", "--results", str(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("<sub>`python benchmarks/train_scale.py --render scale.json` over 1 benchmark record")
    assert f"at commit {(result['git']['commit'] or '?')[:7]}" in lines[0]
    rows = [line for line in lines if line.startswith("| tiny")]
    assert len(rows) == 6 and sum("CUDA only" in row for row in rows) == 2
    ratio = f"{cells['full', False]['ratios']['harness/plain']:.3f}"
    assert ratio in rows[0]


def test_render_refuses_what_is_not_a_record(tmp_path):
    (tmp_path / "other.json").write_text('{"run_id": "x"}')
    done = run_script("--render", "other.json", "--results", str(tmp_path), tmp_path=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "not a train_scale record (no cells)" in done.stderr and "rerun benchmarks/train_scale.py" in done.stderr


def test_cpu_runs_only_the_smallest_configuration_asked_for(script):
    args = script.parse_args(["--configs", "8b,1b,tiny,3b"])
    assert {cell["config"] for cell in script.cells(args, cuda=False)} == {"tiny"}
    assert {cell["config"] for cell in script.cells(args, cuda=True)} == {"8b", "1b", "tiny", "3b"}


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA device (QLoRA, CUDA memory, the largest batch)")
def test_gpu_run_measures_every_cell(tmp_path):
    result = tiny_run(tmp_path, "full,lora,qlora")
    assert result["cuda"] and result["device"] == torch.cuda.get_device_name()
    for cell in result["cells"]:
        assert cell["status"] == "measured", cell
        for entry in cell["loops"].values():
            assert entry["status"] == "ok" and entry["tokens_per_s"] > 0
            assert entry["peak_allocated_mb"] > 0 and entry["peak_reserved_mb"] >= entry["peak_allocated_mb"]
        assert isinstance(cell["largest_batch"], int) and cell["largest_batch"] >= 2
        if result["peak"] is not None:
            assert 0 < cell["loops"]["harness"]["mfu"] < 1


def test_gpu_cell_summary_and_table_from_recorded_runs(script, capsys):
    # what a GPU worker returns, aggregated and shown without a GPU: ratios, MFU, memory, the largest batch
    cell = {"config": "1b", "model": None, "seq_len": 1024, "method": "full", "checkpointing": False,
            "batch_size": 4, "steps": 2, "warmup": 1, "status": "measured", "runs": [
                {"loop": "harness", "status": "ok", "stamps": [0.0, 1.0, 2.0], "peak_allocated_mb": 30_000.0,
                 "peak_reserved_mb": 32_000.0},
                {"loop": "plain", "status": "ok", "stamps": [0.0, 0.8, 1.6], "peak_allocated_mb": 29_000.0,
                 "peak_reserved_mb": 31_000.0},
                {"loop": "trainer", "status": "oom", "error": "CUDA out of memory"},
                {"loop": "largest_batch", "status": "ok", "largest_batch": 16}]}
    peak = named_peak("NVIDIA H100 80GB HBM3")
    summary = script.summarise(cell, 1_000_000_000, peak)
    harness = summary["loops"]["harness"]
    assert harness["tokens_per_s"] == pytest.approx(4096.0)
    assert harness["mfu"] == pytest.approx(6e9 * 4096 / 989e12)
    assert summary["ratios"] == {"harness/plain": pytest.approx(0.8)}  # the Trainer ran out of memory: no ratio
    assert summary["loops"]["trainer"]["status"] == "oom" and summary["largest_batch"] == 16
    skipped = {**cell, "config": "8b", "status": "does_not_fit", "runs": []}
    counts = {"1b": {"flop_parameters": 1e9}, "8b": {"flop_parameters": 7e9}}
    script.show([summary, skipped], counts, True, "NVIDIA H100 80GB HBM3", peak)
    table = capsys.readouterr().out
    assert "29.3 / 31.2" in table and "does not fit" in table and "oom" in table and "16" in table
