"""The profiler: statistics on a fake clock, batch back-off, fixed-length inputs, and `harness profile` end to end."""

from __future__ import annotations

import json
import random

import pytest
import torch
from torch import nn

from harness.cli.main import main as harness_main
from harness.cli.profile import profile as profile_command
from harness.encode import encode
from harness.errors import HarnessError
from harness.models.load import load_task_model
from harness.profiling import ProfileSettings, percentile, summarize, time_batch_sizes, time_call
from harness.profiling.timing import BatchTiming, pool_rounds, round_spread, without_one_round
from harness.profiling.inputs import timing_inputs
from harness.profiling.machine import probe_summary
from harness.profiling.profile import Evaluation, Subject, profile_variants, speedups
from harness.profiling.report import UNSTEADY, profile_markdown, steadiness_note
from harness.profiling.profiler import profile_model
from harness.tasks import load_task, prepare_data
from harness.variants import get_variant
from user_tasks import write_user_tasks


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared two-core machine: two threads would wait on the other jobs
    yield
    torch.set_num_threads(threads)


@pytest.fixture()
def tasks_dir(tmp_path, monkeypatch):
    folder = write_user_tasks(tmp_path / "tasks")
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(folder))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    return folder


class FakeClock:
    """Each timed call reads the clock twice; the n-th call lasts durations[n] seconds."""

    def __init__(self, durations):
        self.durations = list(durations)
        self.now, self.reads = 0.0, 0

    def __call__(self) -> float:
        if self.reads % 2 == 1:
            self.now += self.durations[self.reads // 2]
        else:
            self.now += 100.0  # time between calls must not count
        self.reads += 1
        return self.now


def test_statistics_are_exact_on_a_known_sequence():
    durations = [k / 1000 for k in range(1, 101)]  # 1..100 ms
    random.Random(0).shuffle(durations)
    calls = []
    synced = []
    samples = time_call(lambda: calls.append(1), warmup=3, repeats=100, clock=FakeClock(durations),
                        synchronize=lambda: synced.append(1))
    assert len(calls) == 103 and len(synced) == 101  # once after warm-up, once per timed call
    assert samples == pytest.approx(durations)
    stats = summarize(samples)
    assert stats.median_ms == pytest.approx(50.5)
    assert stats.p90_ms == pytest.approx(90.1)
    assert stats.p99_ms == pytest.approx(99.01)
    assert stats.mean_ms == pytest.approx(50.5) and stats.min_ms == pytest.approx(1)
    assert stats.max_ms == pytest.approx(100)
    assert stats.repeats == 100
    assert percentile([3.0], 99) == 3.0 and percentile([1.0, 2.0], 50) == 1.5
    with pytest.raises(ValueError):
        percentile([], 50)


def test_timing_goes_on_until_the_minimum_time_has_passed():
    samples = time_call(lambda: None, warmup=0, repeats=3, clock=FakeClock([0.1] * 50), min_seconds=1.0)
    assert len(samples) == 10  # 3 were asked for, but 10 calls of 0.1 s fill the second
    samples = time_call(lambda: None, warmup=0, repeats=3, clock=FakeClock([0.5] * 50), min_seconds=1.0)
    assert len(samples) == 3  # the repeats alone already last longer


def test_batch_sizes_back_off_when_they_do_not_fit():
    tried = []

    def make_call(size):
        def call():
            tried.append(size)
            if size > 8:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return call

    freed = []
    results = time_batch_sizes(make_call, [32, 1, 8], warmup=1, repeats=2, clock=FakeClock([0.01] * 100),
                               after_out_of_memory=lambda: freed.append(1))
    assert [(r.requested, r.used) for r in results] == [(1, 1), (8, 8), (32, 8)]
    assert results[2].stats == results[1].stats and "largest that fit" in results[2].note
    assert 32 in tried and 16 in tried and freed
    assert results[0].stats.median_ms == pytest.approx(10)


def test_one_slow_round_barely_moves_the_pooled_median_a_slow_spell_does():
    steady = [[0.010, 0.011, 0.010, 0.012]] * 4
    one_slow_round = steady + [[0.030, 0.031, 0.029, 0.030]]
    assert without_one_round(one_slow_round) == pytest.approx(0.5 / 11)  # 11 ms -> 10.5 ms without it
    assert round_spread([10, 10, 10, 10, 30]) == 2.0  # while the rounds' medians lie far apart
    drifting = [[0.010] * 4, [0.012] * 4, [0.014] * 4, [0.016] * 4, [0.018] * 4]
    assert without_one_round(drifting) == pytest.approx(1 / 14)  # 14 ms -> 15 or 13 ms
    assert without_one_round(one_slow_round) < UNSTEADY < without_one_round(drifting)
    assert without_one_round(steady[:2]) is None


def test_speed_ups_compare_only_the_same_measured_batch():
    def timing(requested, used, median_ms):
        stats = summarize([median_ms / 1000])
        return BatchTiming(requested, used, stats)

    reference = [timing(1, 1, 10.0), timing(8, 8, 40.0), timing(32, 32, 160.0)]
    variant = [timing(1, 1, 4.0), timing(8, 8, 40.0), timing(32, 16, 70.0)]  # b32 did not fit: b16 measured
    assert speedups(variant, reference) == {"1": 2.5, "8": 1.0}


def test_rounds_pool_the_samples_of_the_same_batch_only():
    first = [BatchTiming(1, 1, summarize([0.010]), None, (0.010,)),
             BatchTiming(32, 16, summarize([0.200]), "batch 32 ran out of memory", (0.200,)),
             BatchTiming(64, None, None, "ran out of memory even at batch size 1")]
    later = [[BatchTiming(1, 1, summarize([0.020, 0.030]), None, (0.020, 0.030)),
              BatchTiming(16, 8, summarize([0.500]), "batch 16 ran out of memory", (0.500,))]]  # another batch
    pooled = pool_rounds(first, later)
    assert pooled[0].stats.median_ms == pytest.approx(20) and pooled[0].stats.repeats == 3
    assert pooled[0].round_medians_ms == pytest.approx((10, 25)) and round_spread(pooled[0].round_medians_ms) == 1.5
    assert pooled[0].to_dict()["round_medians_ms"] == [10.0, 25.0]
    assert pooled[0].median_moves_without_a_round is None  # two rounds: leaving one out leaves no pool
    assert pooled[1].stats == first[1].stats and pooled[1].note == first[1].note
    assert pooled[2].stats is None and pooled[2].used is None


def test_errors_other_than_out_of_memory_propagate():
    def make_call(size):
        def call():
            raise ValueError("a bug")
        return call

    with pytest.raises(ValueError, match="a bug"):
        time_batch_sizes(make_call, [1], warmup=0, repeats=1)


def test_nothing_fits_is_reported():
    def make_call(size):
        def call():
            raise MemoryError()
        return call

    (result,) = time_batch_sizes(make_call, [4], warmup=0, repeats=1)
    assert result.used is None and result.stats is None and "even at batch size 1" in result.note


def test_timing_inputs_are_real_examples_cut_to_the_median_length(tasks_dir, encoder_dir):
    task = load_task("tiny-sentiment")
    examples = prepare_data(task, None, seed=0).evaluation["dev"]
    loaded = load_task_model(str(encoder_dir), task.kind, task.num_labels)
    features = encode(examples, loaded.tokenizer, task.kind, task.max_length, False)
    lengths = sorted(len(f) for f in features)
    inputs = timing_inputs(examples, features, task, loaded.tokenizer, False, pool_size=8)
    assert inputs.length == int(percentile(lengths, 50)) and inputs.lengths["max"] == lengths[-1]
    assert all(len(f) == inputs.length for f in inputs.pool)
    batch = inputs.batch(8)
    assert batch["input_ids"].shape == (8, inputs.length) and bool(batch["attention_mask"].all())
    assert "labels" not in batch


class RunsOutOfMemoryAbove(nn.Module):
    """A task model that cannot take batches larger than `limit` (as a too-small GPU would)."""

    def __init__(self, inner: nn.Module, limit: int):
        super().__init__()
        self.inner, self.limit = inner, limit

    def forward(self, input_ids, **rest):
        if input_ids.shape[0] > self.limit:
            raise torch.OutOfMemoryError("out of memory")
        return self.inner(input_ids=input_ids, **rest)


def _tiny_sentiment_inputs(encoder_dir, pool_size: int):
    """The tiny task's dev examples, their features and timing inputs cut from them."""
    task = load_task("tiny-sentiment")
    examples = prepare_data(task, None, seed=0).evaluation["dev"]
    loaded = load_task_model(str(encoder_dir), task.kind, task.num_labels)
    features = encode(examples, loaded.tokenizer, task.kind, task.max_length, False)
    return task, examples, features, timing_inputs(examples, features, task, loaded.tokenizer, False, pool_size)


def test_profile_throughput_and_back_off_on_a_fake_clock(tasks_dir, encoder_dir):
    task, examples, features, inputs = _tiny_sentiment_inputs(encoder_dir, pool_size=4)
    subject = Subject("tiny", lambda: RunsOutOfMemoryAbove(
        load_task_model(str(encoder_dir), task.kind, task.num_labels).model, limit=2), trained=True)
    settings = ProfileSettings(batch_sizes=(1, 4), warmup=1, repeats=3, min_seconds=0, eval_batch_size=8)
    records = profile_variants([get_variant("fp32"), get_variant("prune-50")], subject, inputs,
                               Evaluation(task, "dev", examples, features), torch.device("cpu"), settings,
                               clock=FakeClock([0.005] * 1000))  # every timed call takes 5 ms
    fp32, pruned = records
    assert [(t["requested"], t["used"]) for t in fp32["latency"]] == [(1, 1), (4, 2)]
    assert fp32["latency"][0]["latency"]["median_ms"] == pytest.approx(5)
    assert fp32["throughput"] == {"batch_size": 2, "examples_per_second": 400.0,
                                  "tokens_per_second": pytest.approx(400.0 * inputs.length)}
    assert 0 <= fp32["metric"] <= 1 and fp32["metric_drop"] is None or fp32["metric_drop"] == 0
    assert pruned["linear_sparsity"] == pytest.approx(0.5, abs=0.01)
    assert pruned["metric_drop"] == pytest.approx(fp32["metric"] - pruned["metric"])
    assert fp32["agreement_with_reference"] == 1.0 and fp32["size_ratio_vs_reference"] == 1.0
    assert fp32["speedup_vs_reference"] == pruned["speedup_vs_reference"] == {"1": 1.0, "4": 1.0}
    assert fp32["memory"]["kind"] == "cpu_rss" and fp32["memory"]["peak_mb"] >= fp32["memory"]["baseline_mb"] > 0


def test_every_round_reloads_each_variant_and_pools_its_timings(tasks_dir, encoder_dir):
    task, examples, features, inputs = _tiny_sentiment_inputs(encoder_dir, pool_size=2)
    loads = []

    def load():
        loads.append(1)
        return load_task_model(str(encoder_dir), task.kind, task.num_labels).model

    settings = ProfileSettings(batch_sizes=(1, 2), warmup=0, repeats=3, min_seconds=0, rounds=3)
    # one timed call per batch size, variant and round; round r's calls all take r x 10 ms
    clock = FakeClock([0.010] * 4 + [0.020] * 4 + [0.030] * 4)
    rounds_seen = []
    probe_readings = iter([1.0, 1.1, 1.2, 1.3, 1.4, 1.5])  # the machine's speed, read before each variant's timing
    fp32, pruned = profile_variants([get_variant("fp32"), get_variant("prune-50")], Subject("tiny", load, trained=True),
                                    inputs, Evaluation(task, "dev", examples, features), torch.device("cpu"),
                                    settings, clock=clock, on_round=rounds_seen.append,
                                    probe=lambda: next(probe_readings))
    assert rounds_seen == [1, 2, 3] and len(loads) == 1 + 2 * 3  # a warm-up load, then each variant each round
    for record in (fp32, pruned):
        for timing in record["latency"]:
            assert timing["latency"]["repeats"] == 3 and timing["latency"]["median_ms"] == pytest.approx(20)
            assert timing["latency"]["min_ms"] == pytest.approx(10) and timing["latency"]["max_ms"] == pytest.approx(30)
    assert clock.reads == 2 * 12  # nothing else was timed on the clock
    assert fp32["machine_probe_ms"] == [1.0, 1.2, 1.4] and pruned["machine_probe_ms"] == [1.1, 1.3, 1.5]
    assert fp32["latency"][0]["round_medians_ms"] == pytest.approx([10, 20, 30])
    assert fp32["latency"][0]["median_moves_without_a_round"] == pytest.approx(0.25)  # 20 -> 25 or 15 ms
    steadiness = steadiness_note({"variants": [fp32, pruned], "settings": settings.to_dict()})
    assert "moved by up to 200% between the 3 rounds" in steadiness and "at most 25.0%" in steadiness
    assert "may not repeat" in steadiness and "the machine itself" not in steadiness  # no probe summary given
    with_probe = steadiness_note({"variants": [fp32, pruned], "settings": settings.to_dict(),
                                  "machine_probe": probe_summary([1.0, 1.2, 1.4, 1.1, 1.3, 1.5])})
    assert with_probe.endswith("took 1-1.5 ms, median 1.25: 50% apart")
    assert fp32["speedup_vs_reference"] == pruned["speedup_vs_reference"] == {"1": 1.0, "2": 1.0}


def test_profile_command_records_a_pretrained_model(tasks_dir, encoder_dir, tmp_path, capsys):
    results = tmp_path / "results"
    profile_command.main(["--model", str(encoder_dir), "--task", "tiny-sentiment", "--variants",
                          "int8-dynamic,int8-dynamic-emb,prune-30", "--results", str(results), "--repeats", "2", "--min-seconds", "0",
                          "--warmup", "1", "--batch-sizes", "1,4", "--quiet", "--device", "cpu"],  # int8: CPU only
                         standalone_mode=False)
    out = capsys.readouterr().out
    (path,) = (results / "tiny-sentiment" / "profiles").glob("*.json")
    record = json.loads(path.read_text())
    assert record["kind"] == "profile" and record["device"] == "cpu" and record["torch"] == torch.__version__
    assert [v["variant"] for v in record["variants"]] == ["fp32", "int8-dynamic", "int8-dynamic-emb", "prune-30"]
    assert record["model"]["trained_head"] is False and record["inputs"]["length"] > 0
    for variant in record["variants"]:
        assert variant["input_length"] == record["inputs"]["length"] and variant["metric"] is None
        assert [t["requested"] for t in variant["latency"]] == [1, 4]
        assert all(t["latency"]["median_ms"] > 0 for t in variant["latency"])
        assert variant["size_bytes"] > 0 and 0 <= variant["agreement_with_reference"] <= 1
    sizes = {v["variant"]: v["size_bytes"] for v in record["variants"]}
    assert sizes["int8-dynamic-emb"] < sizes["int8-dynamic"] < sizes["fp32"]
    assert path.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| int8-dynamic-emb |" in path.with_suffix(".md").read_text()
    assert "speed-up b1 / b4" in path.with_suffix(".md").read_text()
    words = " ".join(out.split())  # rich wraps and pads lines to the terminal's width
    assert "int8-dynamic-emb" in words and "freshly initialised head" in words
    assert path.name in out.replace("\n", "")
    assert all(len(v["machine_probe_ms"]) == 5 for v in record["variants"])  # read before each variant, each round
    probe = record["machine_probe"]
    assert probe["readings"] == 20 and 0 < probe["min_ms"] <= probe["median_ms"] <= probe["max_ms"]
    assert "the machine itself (a fixed fp32 matmul" in " ".join(path.with_suffix(".md").read_text().split())
    assert not list((results / "tiny-sentiment").glob("*.json")), "profiles stay out of the run records"


def test_profile_of_a_lora_run_scores_merged_and_unmerged_alike(tasks_dir, encoder_dir, tmp_path):
    results = tmp_path / "results"
    assert harness_main(["run", "--model", str(encoder_dir), "--task", "tiny-sentiment", "--method", "lora",
                         "--epochs", "1", "--results", str(results), "--save-model", "--quiet"]) == 0
    (run_path,) = (results / "tiny-sentiment").glob("*.json")
    run_id = json.loads(run_path.read_text())["run_id"]
    outcome = profile_model(task="tiny-sentiment", run_id=run_id, results=results, variants="all", device="cpu",
                            settings=ProfileSettings(batch_sizes=(1, 2), warmup=0, repeats=1, min_seconds=0), show_progress=False)
    by_name = {v["variant"]: v for v in outcome.record["variants"]}
    assert {"fp32", "lora-merged", "lora-unmerged", "int8-dynamic"} <= set(by_name)
    assert outcome.record["model"]["trained_head"] and outcome.record["model"]["method"] == "lora"
    assert by_name["lora-unmerged"]["metric"] == by_name["lora-merged"]["metric"] == by_name["fp32"]["metric"]
    assert by_name["lora-merged"]["agreement_with_reference"] == 1.0
    assert by_name["lora-merged"]["metric_drop"] == 0
    assert "accuracy" in profile_markdown(outcome.record)


def test_variant_refused_before_anything_loads(tasks_dir, encoder_dir, tmp_path, monkeypatch):
    def must_not_load(*args, **kwargs):
        raise AssertionError("loaded a model before refusing")

    monkeypatch.setattr("harness.profiling.profiler.load_tokenizer", must_not_load)
    monkeypatch.setattr("harness.profiling.profiler.resolve_model", must_not_load)
    if not torch.cuda.is_available():
        with pytest.raises(HarnessError, match="bnb-4bit cannot run here: needs CUDA.*available on cpu: fp32"):
            profile_model(task="tiny-sentiment", model=str(encoder_dir), variants="fp32,bnb-4bit",
                          results=tmp_path, device="cpu", show_progress=False)
    with pytest.raises(HarnessError, match=r"unknown variant 'prune-40'.*valid: .*prune-30, prune-50"):
        profile_model(task="tiny-sentiment", model=str(encoder_dir), variants="prune-40", results=tmp_path,
                      show_progress=False)
    with pytest.raises(HarnessError, match="lora-merged cannot run here: applies only to a fine-tuned run"):
        profile_model(task="tiny-sentiment", model=str(encoder_dir), variants="lora-merged", results=tmp_path,
                      show_progress=False)
    with pytest.raises(HarnessError, match="no run abc recorded"):
        profile_model(task="tiny-sentiment", run_id="abc", results=tmp_path, show_progress=False)


def test_bad_batch_sizes_are_refused(tasks_dir, tmp_path):
    with pytest.raises(HarnessError, match="--batch-sizes"):
        profile_command.main(["--model", "x", "--task", "tiny-sentiment", "--batch-sizes", "1,a",
                              "--results", str(tmp_path)], standalone_mode=False)
    with pytest.raises(HarnessError, match="positive"):
        profile_model(task="tiny-sentiment", model="x", results=tmp_path,
                      settings=ProfileSettings(batch_sizes=(0, 8)), show_progress=False)


def test_list_says_what_runs_here(capsys):
    profile_command.main(["--list", "--device", "cpu"], standalone_mode=False)
    words = " ".join(capsys.readouterr().out.split())
    assert "int8-dynamic-emb" in words and "bnb-4bit" in words and "needs CUDA" in words
