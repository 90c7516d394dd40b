"""`harness regress` on constructed run records and predictions files (no models, no training)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli.main import main
from harness.errors import HarnessError
from harness.regress import FAIL, PASS, UNDEFINED, build_tolerances, verdict

N = 872  # SST-2 dev size
REFERENCES = np.random.default_rng(0).integers(0, 2, N)


def _base_predictions(accuracy: float = 0.85) -> np.ndarray:
    """Predictions right on exactly round(accuracy * N) examples (a fixed set)."""
    wrong = np.random.default_rng(1).choice(N, N - round(accuracy * N), replace=False)
    predictions = REFERENCES.copy()
    predictions[wrong] = 1 - predictions[wrong]
    return predictions


BASE = _base_predictions()


def _flip(predictions: np.ndarray, *, to_wrong: int = 0, to_right: int = 0, seed: int = 7) -> np.ndarray:
    """Flip `to_wrong` right predictions to wrong and `to_right` wrong ones to right (a seeded, fixed choice)."""
    rng = np.random.default_rng(seed)
    out = predictions.copy()
    right = np.flatnonzero(out == REFERENCES)
    wrong = np.flatnonzero(out != REFERENCES)
    for index in [*rng.choice(right, to_wrong, replace=False), *rng.choice(wrong, to_right, replace=False)]:
        out[index] = 1 - out[index]
    return out


def write_run(root: Path, predictions: np.ndarray, *, task: str = "sst2", seed: int = 0, method: str = "full",
              model: str = "minilm", task_hash: str = "hash-sst2", prompt_hash: str | None = None,
              ids: list[str] | None = None, run_id: str | None = None) -> Path:
    """A record and its predictions in root/<task>/, as `harness run` lays them out."""
    references = REFERENCES[: len(predictions)]
    run_id = run_id or f"{model}-{method}-{task}-{seed}-{task_hash}"
    spec: dict[str, Any] = {"model": model, "method": method, "task": task, "seed": seed,
                            "training": {"lr": 1e-4}, "method_options": {}, "max_length": 128,
                            "train_limit": None, "eval_limit": None, "pooling": None, "fold": None}
    if prompt_hash:
        spec["prompt_hash"] = prompt_hash
    accuracy = float(np.mean(predictions == references))
    record = {
        "run_id": run_id, "spec": spec,
        "task": {"name": task, "suite": "glue", "kind": "text_classification", "hash": task_hash,
                 "metrics": ["accuracy"], "headline": "accuracy", "labels": ["0", "1"]},
        "headline": {"split": "validation", "metric": "accuracy", "value": accuracy},
        "metrics": {"validation": {"values": {"accuracy": accuracy}, "n": len(predictions)}},
    }
    folder = root / task
    folder.mkdir(parents=True, exist_ok=True)
    ids = ids or [f"validation-{i}" for i in range(len(predictions))]
    with (folder / f"{run_id}.predictions.jsonl").open("w", encoding="utf-8") as handle:
        for i, p, r in zip(ids, predictions, references):
            handle.write(json.dumps({"split": "validation", "id": i, "prediction": int(p), "reference": int(r)}) + "\n")
    path = folder / f"{run_id}.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def regress(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["regress", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _row(out: str, task: str = "sst2") -> str:
    return next(line for line in out.splitlines() if line.startswith(f"| {task} |"))


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_equal_candidate_passes(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "cand", BASE)
    code, out, err = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    assert code == 0
    row = _row(out)
    assert "| 0.8498 | 0.8498 | +0.0000 |" in row and row.endswith("| PASS |")
    assert err.startswith("regress: PASS") and len(err.strip().splitlines()) == 1


def test_two_point_drop_fails_with_a_clean_summary(tmp_path, capsys):
    worse = _flip(BASE, to_wrong=18)  # 18 / 872 = 2.06 points
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "cand", worse)
    code, out, err = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    assert code == 1
    row = _row(out)
    assert "| -0.0206 |" in row and row.endswith("| **FAIL** |")
    assert "< 0.001" in row  # every resample of the bootstrap has the candidate worse
    assert f"{2 * 0.5 ** 18:.2g}" in row  # McNemar: 18 discordant pairs, all one way
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("regress: FAIL: 1 of 1 check(s) failed: sst2 validation accuracy")
    assert "Traceback" not in err


def test_json_output_has_every_figure(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "cand", _flip(BASE, to_wrong=18))
    code, out, _ = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"),
                           "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "FAIL" and data["exit_code"] == 1
    check = data["checks"][0]
    assert check["delta"] == pytest.approx(-18 / N)
    assert check["p_bootstrap"] == 0.0 and check["p_mcnemar"] == pytest.approx(2 * 0.5 ** 18)
    assert check["mcnemar"] == {"baseline_only_right": 18, "candidate_only_right": 0, "pairs": N}
    assert check["interval"][1] < 0 and check["n_examples"] == N and check["pairing"] == "seeds"


def test_change_within_noise_passes(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "cand", _flip(BASE, to_wrong=6, to_right=4))  # -2 of 872, mixed both ways
    code, out, _ = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    assert code == 0
    row = _row(out)
    assert "| -0.0023 |" in row and row.endswith("| PASS |")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert float(cells[7]) > 0.05 and float(cells[8]) > 0.05  # both p-values


def test_tolerance_lets_a_small_significant_drop_pass(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "cand", _flip(BASE, to_wrong=10))  # -1.15 points, significant
    base, cand = str(tmp_path / "base"), str(tmp_path / "cand")
    assert regress(capsys, "--baseline", base, "--candidate", cand)[0] == 1
    code, out, _ = regress(capsys, "--baseline", base, "--candidate", cand, "--tolerance", "accuracy=0.015")
    assert code == 0 and _row(out).endswith("| 0.015 | PASS |")
    tolerances = tmp_path / "tolerances.yaml"
    tolerances.write_text("default: 0\naccuracy: 0.012\n", encoding="utf-8")
    assert regress(capsys, "--baseline", base, "--candidate", cand, "--tolerances", str(tolerances))[0] == 0
    # a flag wins over the file; a task-specific key wins over the metric's
    assert regress(capsys, "--baseline", base, "--candidate", cand, "--tolerances", str(tolerances),
                   "--tolerance", "accuracy=0.01")[0] == 1
    assert regress(capsys, "--baseline", base, "--candidate", cand, "--tolerance", "accuracy=0",
                   "--tolerance", "sst2/accuracy=0.02")[0] == 0


def test_missing_task_fails_unless_allowed(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "base", BASE, task="rte", task_hash="hash-rte")
    write_run(tmp_path / "cand", BASE)
    write_run(tmp_path / "cand", BASE, task="cola", task_hash="hash-cola")
    base, cand = str(tmp_path / "base"), str(tmp_path / "cand")
    code, out, err = regress(capsys, "--baseline", base, "--candidate", cand)
    assert code == 1
    assert _row(out, "rte").endswith("| **MISSING** |") and _row(out, "sst2").endswith("| PASS |")
    assert "only in the candidate (reported, not judged): cola" in out
    assert "rte validation accuracy missing in the candidate" in err
    code, out, _ = regress(capsys, "--baseline", base, "--candidate", cand, "--allow-missing")
    assert code == 0 and _row(out, "rte").endswith("| MISSING (allowed) |")
    assert regress(capsys, "--baseline", base, "--candidate", cand, "--allow-missing", "rte")[0] == 0
    assert regress(capsys, "--baseline", base, "--candidate", cand, "--allow-missing", "sst2")[0] == 1


def test_different_task_versions_are_refused_naming_them(tmp_path, capsys):
    old = write_run(tmp_path / "base", BASE, task_hash="a" * 64)
    new = write_run(tmp_path / "cand", BASE, task_hash="b" * 64)
    code, out, err = regress(capsys, "--baseline", str(old), "--candidate", str(new), "--report",
                             str(tmp_path / "report.md"))
    assert code == 2 and out == ""
    line = _one_line_error(err)
    assert "task sst2 differs" in line and "a" * 12 in line and "b" * 12 in line
    assert old.stem in line and new.stem in line
    assert not (tmp_path / "report.md").exists()


def test_different_prompts_are_refused(tmp_path, capsys):
    write_run(tmp_path / "base", BASE, method="zero-shot", prompt_hash="p1")
    write_run(tmp_path / "cand", BASE, method="zero-shot", prompt_hash="p2")
    code, _, err = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    assert code == 2 and "prompt hash p1" in _one_line_error(err)


def test_predictions_on_other_examples_are_refused(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "cand", BASE, ids=[f"other-{i}" for i in range(N)])
    code, _, err = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    assert code == 2 and "different validation examples" in _one_line_error(err)


@pytest.mark.parametrize("args, message", [
    (["--tolerance", "accuracy"], "expected METRIC=DROP"),
    (["--tolerance", "accuracy=lots"], "is not a number"),
    (["--tolerance", "acuracy=0.01"], "did you mean accuracy"),
    (["--tolerance", "accuracy=-0.01"], "a drop of 0 or more"),
    (["--alpha", "0"], "--alpha 0"),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, args, message):
    write_run(tmp_path / "base", BASE)
    report = tmp_path / "out" / "report.md"
    code, out, err = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "base"),
                             "--report", str(report), *args)
    assert code == 2 and out == "" and message in _one_line_error(err)
    assert not report.exists() and not report.parent.exists()


def test_bad_tolerance_file_and_unreadable_record_exit_2(tmp_path, capsys):
    good = write_run(tmp_path / "base", BASE)
    bad_yaml = tmp_path / "tolerances.yaml"
    bad_yaml.write_text("- accuracy\n- 0.01\n", encoding="utf-8")
    code, _, err = regress(capsys, "--baseline", str(good), "--candidate", str(good), "--tolerances", str(bad_yaml))
    assert code == 2 and "expected a mapping" in _one_line_error(err)
    broken = tmp_path / "cand" / "sst2" / "broken.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json", encoding="utf-8")
    for candidate in (broken, broken.parent.parent):
        code, out, err = regress(capsys, "--baseline", str(good), "--candidate", str(candidate), "--report",
                                 str(tmp_path / "report.md"))
        assert code == 2 and out == "" and "cannot be read" in _one_line_error(err)
    assert not (tmp_path / "report.md").exists()


def test_missing_predictions_file_exits_2(tmp_path, capsys):
    path = write_run(tmp_path / "base", BASE)
    path.with_name(path.stem + ".predictions.jsonl").unlink()
    code, _, err = regress(capsys, "--baseline", str(path), "--candidate", str(path))
    assert code == 2 and "predictions of run" in _one_line_error(err)


def test_run_ids_in_the_results_folder_and_seed_pooling(tmp_path, capsys):
    results = tmp_path / "results"
    write_run(results, BASE, seed=0, run_id="aaaa000011112222")
    write_run(results, _flip(BASE, to_wrong=3, to_right=3, seed=3), seed=1, run_id="bbbb000011112222")
    code, out, err = regress(capsys, "--baseline", "aaaa000011112222", "--candidate", "bbbb0000", "--results",
                             str(results))
    assert code == 0, err
    assert "pooled: no seed in common, mean over baseline seeds 0 against mean over candidate seeds 1" in out
    code, _, err = regress(capsys, "--baseline", "cccc000011112222", "--candidate", "aaaa0000", "--results",
                           str(results))
    assert code == 2 and "no such record file or folder, nor a run id" in _one_line_error(err)


def test_shared_seeds_are_paired_and_the_rest_reported_unused(tmp_path, capsys):
    for seed in (0, 1, 2):
        write_run(tmp_path / "base", _flip(BASE, to_wrong=2, seed=seed), seed=seed)
    for seed in (1, 2):
        write_run(tmp_path / "cand", _flip(BASE, to_wrong=2, seed=seed), seed=seed)
    code, out, _ = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"),
                           "--json")
    check = json.loads(out)["checks"][0]
    assert code == 0 and check["pairing"] == "seeds" and check["baseline_seeds"] == [1, 2]
    assert check["delta"] == 0.0 and check["mcnemar"]["pairs"] == 2 * N
    _, out, _ = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    assert "seed to seed (1, 2) (baseline seed 0 unused)" in out


def test_filters_pick_one_configuration_per_side(tmp_path, capsys):
    results = tmp_path / "results"
    write_run(results, BASE, method="full")
    write_run(results, _flip(BASE, to_wrong=18), method="lora")
    code, _, err = regress(capsys, "--baseline", str(results), "--candidate", str(results))
    assert code == 2 and "2 different configurations of sst2" in _one_line_error(err)
    assert regress(capsys, "--baseline", str(results), "--candidate", str(results), "--method", "full")[0] == 0
    code, out, _ = regress(capsys, "--baseline", str(results), "--candidate", str(results),
                           "--method", "baseline:full", "--method", "candidate:lora")
    assert code == 1 and "candidate `" in out and "minilm · lora" in out
    code, _, err = regress(capsys, "--baseline", str(results), "--candidate", str(results), "--method", "dora")
    assert code == 2 and "--method dora matched no baseline run (methods there: full, lora)" in _one_line_error(err)


def test_a_published_results_folder_is_narrowed_to_the_candidates_configuration(tmp_path, capsys):
    published, mine = tmp_path / "results", tmp_path / "mine"
    for seed in (0, 1):
        write_run(published, BASE, method="full", seed=seed)
    write_run(published, _flip(BASE, to_wrong=40), method="lora")
    write_run(published, BASE, method="full", task="rte", task_hash="hash-rte")
    write_run(published, BASE, method="lora", task="rte", task_hash="hash-rte")
    write_run(mine, _flip(BASE, to_wrong=40), method="lora")
    code, out, err = regress(capsys, "--baseline", str(published), "--candidate", str(mine))
    assert code == 1 and "sst2: minilm · lora · seed 0" in out and "rte validation accuracy missing" in err
    assert "| sst2 | validation | accuracy ↑ | 0.8039 | 0.8039 |" in _row(out)
    code, out, _ = regress(capsys, "--baseline", str(published), "--candidate", str(mine), "--allow-missing")
    assert code == 0 and "PASS" in _row(out)
    write_run(mine, BASE, method="dora")
    (mine / "sst2" / "minilm-lora-sst2-0-hash-sst2.json").unlink()
    code, _, err = regress(capsys, "--baseline", str(published), "--candidate", str(mine), "--allow-missing")
    assert code == 2 and "none of them the candidate's (minilm dora)" in _one_line_error(err)


def test_report_file_holds_the_markdown(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    report = tmp_path / "ci" / "regress.md"
    code, out, _ = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "base"),
                           "--report", str(report), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "PASS"
    assert report.read_text(encoding="utf-8").startswith("## Regression gate: PASS")


def test_tolerance_keys_and_defaults(tmp_path):
    tolerances = build_tolerances(["default=0.01", "f1=0.02", "mrpc/accuracy=0.03"])
    assert tolerances.allowed_drop("sst2", "accuracy") == 0.01
    assert tolerances.allowed_drop("mrpc", "f1") == 0.02
    assert tolerances.allowed_drop("mrpc", "accuracy") == 0.03
    assert build_tolerances().allowed_drop("sst2", "accuracy") == 0.0
    file = tmp_path / "tolerances.yaml"
    file.write_text("accuracy: yes\n", encoding="utf-8")
    with pytest.raises(HarnessError, match="tolerance of accuracy is True"):
        build_tolerances([], file)


@pytest.mark.parametrize("delta, p, higher_is_better, expected", [
    (-0.02, 0.001, True, FAIL),
    (-0.02, 0.2, True, PASS),  # not significant
    (+0.02, 0.001, True, PASS),  # significantly better
    (+0.02, 0.001, False, FAIL),  # lower is better: a rise is the bad direction
    (-0.005, 0.001, True, PASS),  # within the tolerance below
    (float("nan"), float("nan"), True, UNDEFINED),
])
def test_verdict_rule(delta, p, higher_is_better, expected):
    assert verdict(delta, p, 0.005 if delta == -0.005 else 0.0, higher_is_better, 0.05) == expected


def test_allow_missing_alone_before_another_flag(tmp_path, capsys):
    write_run(tmp_path / "base", BASE)
    write_run(tmp_path / "base", BASE, task="rte", task_hash="hash-rte")
    write_run(tmp_path / "cand", BASE)
    code, out, _ = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"),
                           "--allow-missing", "--json")
    missing = [check for check in json.loads(out)["checks"] if check["task"] == "rte"]
    assert code == 0 and missing[0]["verdict"] == "MISSING" and missing[0]["allowed_missing"] is True


def test_two_task_versions_within_one_side_are_refused(tmp_path, capsys):
    write_run(tmp_path / "base", BASE, seed=0, task_hash="a" * 64)
    write_run(tmp_path / "base", BASE, seed=1, task_hash="b" * 64)
    write_run(tmp_path / "cand", BASE, seed=0, task_hash="c" * 64)
    code, _, err = regress(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    line = _one_line_error(err)
    assert code == 2 and "the baseline holds runs of 2 versions of task sst2" in line and "b" * 12 in line


def test_a_leaderboard_view_selects_the_runs_of_each_side(tmp_path, capsys):
    results = tmp_path / "results"
    write_run(results, BASE, task="sst2")
    write_run(results, BASE, task="cola", task_hash="hash-cola")
    views = tmp_path / "views"
    views.mkdir()
    (views / "only-cola.yaml").write_text("name: only-cola\ntitle: CoLA\nruns: {task: cola}\nrows: [model, method]\n"
                                          "columns: [{task: cola}]\n", encoding="utf-8")
    code, out, _ = regress(capsys, "--baseline", str(results), "--candidate", str(results), "--view", "only-cola",
                           "--views-dir", str(views))
    assert code == 0 and "| cola |" in out and "| sst2 |" not in out
    (views / "only-rte.yaml").write_text("name: only-rte\ntitle: RTE\nruns: {task: rte}\nrows: [model, method]\n"
                                         "columns: [{task: rte}]\n", encoding="utf-8")
    code, _, err = regress(capsys, "--baseline", str(results), "--candidate", str(results), "--view", "only-rte",
                           "--views-dir", str(views))
    assert code == 2 and "--view only-rte: no baseline run matches its filters (task: rte)" in _one_line_error(err)
