"""The regression gate on real records: a copy passes, a 2-point drop fails, another seed passes if within noise.

    python benchmarks/regress_demo.py RESULTS [--task sst2] [--method full] [--model minilm]
           [--baseline-seed 0] [--candidate-seed 1] [--drop 0.02] [--flip-seed 0] [--keep DIR]

Takes the baseline run (task, method, model, baseline seed) from the results folder RESULTS
and runs `harness regress --json` (a subprocess: the real command and its exit code) on:
  (a) a candidate that is a copy of the baseline's record and predictions;
  (b) that copy made worse: ceil(drop * n) right predictions on the headline split, a fixed
      set drawn with --flip-seed, flipped to a wrong label (the probabilities of the two
      labels swapped with it), and the record's metrics recomputed from the new predictions;
  (c) the run of the same spec with the candidate seed: a rerun, within noise or not.
Prints each case's exit code, delta, interval and p-values. The copies go to a temporary
folder (or --keep DIR); nothing is written into RESULTS.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from harness.metrics import evaluate
from harness.regress import Run, load_side


def find_run(results: Path, task: str, method: str, model: str | None, seed: int) -> Run:
    runs = [run for run in load_side(str(results), results, "baseline")
            if run.task == task and run.record["spec"]["method"] == method and run.seed == seed
            and (model is None or run.record["spec"]["model"] == model)
            and not run.record["spec"].get("perturb")]  # a --perturb run repeats a clean run's scores
    if len(runs) != 1:
        found = ", ".join(str(run.path) for run in runs) or "none"
        sys.exit(f"expected one {task} run of {method} seed {seed}{f' ({model})' if model else ''} in {results}, "
                 f"found {found}; narrow it with --model")
    return runs[0]


def copy_run(run: Run, folder: Path) -> Path:
    target = folder / run.task / run.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run.path, target)
    shutil.copyfile(run.predictions_path, target.with_name(run.predictions_path.name))
    return target


def flip_predictions(rows: list[dict[str, Any]], split: str, count: int, num_classes: int, seed: int) -> list[int]:
    """Flip `count` right predictions on `split` to a wrong label, in place; returns the rows changed."""
    right = [i for i, row in enumerate(rows) if row["split"] == split and row["prediction"] == row["reference"]]
    if count > len(right):
        sys.exit(f"only {len(right)} right predictions on {split}, cannot flip {count}")
    chosen = sorted(int(i) for i in np.random.default_rng(seed).choice(right, count, replace=False))
    for i in chosen:
        row = rows[i]
        old, new = row["prediction"], (row["reference"] + 1) % num_classes
        row["prediction"] = new
        if row.get("probabilities"):  # keep the probabilities' argmax on the prediction
            probabilities = row["probabilities"]
            probabilities[old], probabilities[new] = probabilities[new], probabilities[old]
    return chosen


def make_worse(run: Run, folder: Path, drop: float, seed: int) -> tuple[Path, int]:
    """A copy of `run` with its headline split's accuracy lowered by at least `drop`; metrics recomputed."""
    record, rows = json.loads(run.path.read_text(encoding="utf-8")), run.load_predictions()
    split = record["headline"]["split"]
    num_classes = len(record["task"]["labels"])
    n = sum(1 for row in rows if row["split"] == split)
    count = math.ceil(drop * n)
    flip_predictions(rows, split, count, num_classes, seed)
    on_split = [row for row in rows if row["split"] == split]
    bootstrap = (record["metrics"][split].get("details") or {}).get("bootstrap") or {}
    report = evaluate(record["task"]["metrics"], [row["prediction"] for row in on_split],
                      [row["reference"] for row in on_split], num_classes=num_classes,
                      n_boot=bootstrap.get("n_boot", 1000), seed=bootstrap.get("seed", 0))
    record["metrics"][split] = report.to_dict()
    headline = record["headline"]["metric"]
    record["headline"].update(value=report.values[headline], interval=list(report.intervals[headline]))
    target = folder / run.task / run.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    with target.with_name(run.predictions_path.name).open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    return target, count


def regress(baseline: Path, candidate: Path) -> tuple[int, dict[str, Any] | None, str]:
    done = subprocess.run([sys.executable, "-m", "harness", "regress", "--baseline", str(baseline),
                           "--candidate", str(candidate), "--json"], capture_output=True, text=True)
    report = json.loads(done.stdout) if done.returncode in (0, 1) else None
    return done.returncode, report, done.stderr.strip()


def _p(value: float, n_boot: int) -> str:
    """A bootstrap p of 0 only says 'below the resolution 1 / n_boot'."""
    return f"< {1 / n_boot:g}" if value == 0 else f"{value:.3g}"


def show(name: str, code: int, report: dict[str, Any] | None, stderr: str) -> None:
    n_boot = (report or {}).get("n_boot", 1000)
    print(f"\n{name}\n  exit code {code}: {stderr}")
    for check in (report or {}).get("checks", []):
        low, high = check["interval"] or (math.nan, math.nan)
        test = check["mcnemar"]
        mcnemar = "" if test is None else (f", p McNemar {check['p_mcnemar']:.3g} (baseline-only right "
                                           f"{test['baseline_only_right']}, candidate-only right "
                                           f"{test['candidate_only_right']})")
        print(f"  {check['task']} {check['split']} {check['metric']}: baseline {check['baseline']:.4f}, "
              f"candidate {check['candidate']:.4f}, delta {check['delta']:+.4f} [{low:+.4f}, {high:+.4f}], "
              f"p bootstrap {_p(check['p_bootstrap'], n_boot)}{mcnemar}; pairing {check['pairing']}, "
              f"verdict {check['verdict']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results folder with the runs (read only)")
    parser.add_argument("--task", default="sst2")
    parser.add_argument("--method", default="full")
    parser.add_argument("--model", default=None)
    parser.add_argument("--baseline-seed", type=int, default=0)
    parser.add_argument("--candidate-seed", type=int, default=1)
    parser.add_argument("--drop", type=float, default=0.02, help="accuracy drop of case (b)")
    parser.add_argument("--flip-seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write the copies here instead of a temporary folder")
    args = parser.parse_args()

    baseline = find_run(args.results, args.task, args.method, args.model, args.baseline_seed)
    rerun = find_run(args.results, args.task, args.method, args.model, args.candidate_seed)
    print(f"baseline: {baseline.path} ({args.method}, seed {args.baseline_seed}, "
          f"{baseline.record['headline']['metric']} {baseline.record['headline']['value']:.4f})")
    with tempfile.TemporaryDirectory(prefix="regress-demo-") as temporary:
        work = args.keep or Path(temporary)
        same = copy_run(baseline, work / "a-copy")
        copied = regress(baseline.path, same)
        show("(a) candidate = a copy of the baseline", *copied)
        worse, count = make_worse(baseline, work / "b-worse", args.drop, args.flip_seed)
        flipped = regress(baseline.path, worse)
        show(f"(b) candidate = the baseline with {count} right predictions flipped to wrong "
             f"(seed {args.flip_seed})", *flipped)
        reran = regress(baseline.path, rerun.path)
        show(f"(c) candidate = a rerun of the same spec with seed {args.candidate_seed} ({rerun.path.name})", *reran)
    noise = "within noise: passes" if reran[0] == 0 else "beyond noise at this alpha: fails"
    print(f"\nexpected (a) 0, (b) 1; got (a) {copied[0]}, (b) {flipped[0]}; (c) {reran[0]} ({noise})")
    return 0 if (copied[0], flipped[0]) == (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
