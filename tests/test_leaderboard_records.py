"""Constructed run and profile records for the leaderboard tests (helpers), and how the board reads them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.board.sources import apply_filters, load_sources

HASH = "a" * 64  # task definition hash of every constructed record unless given


def run_record(task: str, values: Mapping[str, Mapping[str, float]] | float, *, model: str = "tiny-bert",
               method: str = "full", seed: int = 0, headline: tuple[str, str] = ("validation", "accuracy"),
               task_hash: str = HASH, training: dict[str, Any] | None = None, costs: dict[str, Any] | None = None,
               metric_versions: dict[str, int] | None = None, prompt_hash: str | None = None,
               robustness: dict[str, Any] | None = None, intervals: bool = True,
               created_at: str = "2026-11-22T10:00:00+00:00") -> dict[str, Any]:
    """A run record as the runner writes it, holding only what leaderboards read."""
    split, metric = headline
    if not isinstance(values, Mapping):
        values = {split: {metric: float(values)}}
    spec: dict[str, Any] = {"model": model, "method": method, "task": task, "seed": seed, "training": training or {},
                            "method_options": {}}
    if prompt_hash:
        spec["prompt_hash"] = prompt_hash
    digest = hashlib.sha256(json.dumps([spec, task_hash, created_at], sort_keys=True).encode()).hexdigest()[:8]
    run_id = f"{task}-{method}-{seed}-{digest}"
    record: dict[str, Any] = {
        "schema_version": 1, "run_id": run_id, "created_at": created_at, "spec": spec,
        "task": {"name": task, "hash": task_hash, "metrics": sorted({m for v in values.values() for m in v}),
                 "headline": metric},
        "headline": {"split": split, "metric": metric, "value": values[split][metric]},
        "metrics": {s: {"values": dict(v), "intervals": {m: [x - 0.02, x + 0.02] for m, x in v.items()}
                        if intervals else {}} for s, v in values.items()},
        "costs": costs or {},
    }
    if metric_versions is not None:
        record["task"]["metric_versions"] = metric_versions
    if robustness is not None:
        record["robustness"] = {split: robustness}
    return record


def robustness_section(clean: float, drops: Mapping[str, float], worst_drop: float,
                       metric: str = "accuracy") -> dict[str, Any]:
    return {"perturb": "all", "seed": 0, "examples": 100, "clean": {metric: clean},
            "perturbations": {name: {"severity": 0.2, "metrics": {metric: clean - d}, "drop": {metric: d},
                                     "changed_share": 0.1} for name, d in drops.items()},
            "worst_case": {metric: clean - worst_drop}, "worst_case_drop": {metric: worst_drop}}


def profile_record(task: str, run_id: str, variants: Mapping[str, Mapping[str, float]], *, device: str = "cpu",
                   created_at: str = "2026-11-22T12:00:00+00:00", model: str = "tiny-bert",
                   method: str = "full") -> dict[str, Any]:
    """A `harness profile` record; variants: name -> {latency_b1, latency_b32, speedup_b1, metric, size_mb}."""
    entries = []
    for name, figures in variants.items():
        entries.append({
            "model": model, "run_id": run_id, "device": device, "variant": name,
            "size_bytes": figures.get("size_mb", 90.0) * 1e6,
            "latency": [{"requested": b, "used": b, "latency": {"median_ms": figures[f"latency_b{b}"]}}
                        for b in (1, 32) if f"latency_b{b}" in figures],
            "speedup_vs_reference": {str(b): figures[f"speedup_b{b}"] for b in (1, 32) if f"speedup_b{b}" in figures},
            "metric": figures.get("metric"), "metric_drop": figures.get("metric_drop"),
        })
    return {"kind": "profile", "schema_version": 1, "profile_id": f"{created_at}-{run_id}-{device}",
            "created_at": created_at, "task": {"name": task, "hash": HASH, "headline": "accuracy"},
            "model": {"name": model, "run_id": run_id, "method": method}, "device": device, "variants": entries}


def write_records(root: Path, records: list[dict[str, Any]], profiles: Sequence[dict[str, Any]] = ()) -> Path:
    for record in records:
        path = root / record["task"]["name"] / f"{record['run_id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")
    for i, profile in enumerate(profiles):
        path = root / profile["task"]["name"] / "profiles" / f"profile-{i}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(profile), encoding="utf-8")
    return root


def test_runs_and_profile_variants_are_read_with_their_row_fields(tmp_path):
    run = run_record("sst2", 0.9, method="lora", seed=2, training={"lr": 0.01})
    write_records(tmp_path, [run], [profile_record("sst2", run["run_id"], {"fp32": {"latency_b1": 9.0},
                                                                         "int8-dynamic": {"latency_b1": 4.5}})])
    (tmp_path / "sst2" / "broken.json").write_text("{not json")
    sources = load_sources(tmp_path)
    assert [s.keys["method"] for s in sources.runs] == ["lora"]
    assert sources.runs[0].keys["settings"] == "lr=0.01" and sources.runs[0].seed == 2
    assert sorted(s.keys["variant"] for s in sources.profiles) == ["fp32", "int8-dynamic"]
    assert all(s.keys["settings"] == "lr=0.01" and s.keys["seed"] == "2" for s in sources.profiles)
    assert any("broken.json" in warning for warning in sources.warnings)


def test_a_perturb_filter_keeps_clean_runs_or_perturbed_ones(tmp_path):
    clean, perturbed = run_record("sst2", 0.9), run_record("sst2", 0.9, created_at="2026-11-23T10:00:00+00:00")
    perturbed["spec"]["perturb"] = "all"
    write_records(tmp_path, [clean, perturbed])
    runs = load_sources(tmp_path).runs
    assert [s.run_id for s in apply_filters(runs, {"perturb": ("none",)}, "here")] == [clean["run_id"]]
    assert [s.run_id for s in apply_filters(runs, {"perturb": ("all",)}, "here")] == [perturbed["run_id"]]


def test_filters_take_globs_and_lists(tmp_path):
    write_records(tmp_path, [run_record("sst2", 0.9, method=m) for m in ("full", "lora", "ia3")])
    runs = load_sources(tmp_path).runs
    kept = apply_filters(runs, {"method": ("l*", "ia3")}, "here")
    assert sorted(s.keys["method"] for s in kept) == ["ia3", "lora"]


def test_settings_show_only_what_differs_from_the_defaults_of_a_task_off_the_search_path(tmp_path):
    from user_tasks import write_user_tasks

    from harness.methods import get_method
    from harness.spec import TRAINING_DEFAULTS

    task_file = write_user_tasks(tmp_path / "my_tasks") / "sentiment.yaml"  # max_length 32; not on any path
    records = []
    for seed, path in enumerate((str(task_file), str(tmp_path / "moved" / "sentiment.yaml"))):
        record = run_record("tiny-sentiment", 0.5, seed=seed, training={**TRAINING_DEFAULTS, **get_method("full").training_defaults, "epochs": 1})
        record["spec"].update(max_length=32, train_limit=None, eval_limit=None, pooling=None, fold=None)
        record["task"]["path"] = path
        records.append(record)
    write_records(tmp_path / "results", records)
    by_seed = {s.seed: s.keys["settings"] for s in load_sources(tmp_path / "results").runs}
    assert by_seed[0] == "epochs=1"  # the task's own max_length, and the options never set, are not settings
    assert by_seed[1] == "max_length=32, epochs=1"  # its YAML gone: only the global defaults are known
