"""What combining recorded runs costs: an output ensemble's reading, voting and scoring, and a weight merge.

    python benchmarks/fusion_cost.py [--results results] [--task sst2] [--runs 5]
    python benchmarks/fusion_cost.py --merge RUN RUN RUN     # also time a merge of saved models

The ensemble part reads the first N recorded runs of the task that kept probabilities (in
results/ as committed: SST-2's method comparison) and times each step, median of 5 repeats:
reading the records and predictions files, the soft vote over every example, and scoring
(metrics with 1,000 bootstrap resamples, and the paired tests against the members). Nothing
is written. The merge part times `harness merge` of saved models into a scratch folder
beside copies of their records: loading and unfolding the members, the arithmetic itself,
and evaluating the merged model.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from harness.fusion.ensemble import combine_rows
from harness.fusion.members import find_members, load_members
from harness.fusion.merge import merge
from harness.fusion.scoring import against, score_rows
from harness.fusion.votes import check_weights, get_combiner
from harness.record.store import ResultStore


def _median(step, repeats: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ensemble_cost(results: Path, task: str, count: int) -> None:
    store = ResultStore(results)
    ids = [path.stem for path in sorted((results / task).glob("*.json"))
           if '"probabilities"' in store.predictions_path(task, path.stem).open().readline()][:count]
    read, (members, task_def) = _median(lambda: load_members(find_members(store, ids), tasks_dirs=None,
                                                            data_dir=None, needs_probabilities=True))
    weights = check_weights(None, len(members))
    vote, rows = _median(lambda: combine_rows(members, task_def, get_combiner("soft").by_kind[task_def.kind], weights))
    scoring, _ = _median(lambda: (score_rows(task_def, rows, 1000, list(members[0].record["metrics"])), against(task_def, members, rows, 1000)))
    examples = sum(1 for row in rows if row["split"] == task_def.headline_split)
    print(f"ensemble of {len(members)} {task} runs over {examples} examples (median of 5):")
    print(f"  reading records and predictions          {read:.3f} s")
    print(f"  soft vote                                {vote:.3f} s")
    print(f"  metrics + paired tests (1000 resamples)  {scoring:.3f} s")
    print(f"  beyond reading the files                 {vote + scoring:.3f} s")


def merge_cost(results: Path, run_ids: list[str]) -> None:
    store = ResultStore(results)
    with tempfile.TemporaryDirectory(prefix="fusion-cost-") as scratch:
        for run_id in run_ids:  # copies of the records, links to the saved models: nothing lands in results/
            (path,) = store.find(run_id)
            record = store.load(path.parent.name, path.stem)
            target = Path(scratch) / path.parent.name
            target.mkdir(exist_ok=True)
            for suffix in (".json", ".predictions.jsonl.gz"):
                shutil.copy(path.with_suffix("").with_name(path.stem + suffix), target)
            (Path(scratch) / record["artifact"]).symlink_to((results / record["artifact"]).resolve())
        start = time.perf_counter()
        (outcome,) = merge(run_ids, results=scratch, how="uniform")
        total = time.perf_counter() - start
    fusion = outcome.record["fusion"]
    evaluation = sum(s["seconds"] for s in outcome.record["inference"].values())
    print(f"uniform merge of {len(run_ids)} saved runs: {total:.1f} s in all; the arithmetic "
          f"{fusion['merge_seconds']:.2f} s, evaluating the merged model {evaluation:.1f} s, the rest loading, "
          "unfolding and saving")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--task", default="sst2")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--merge", nargs="*", default=[], help="run ids of saved runs to merge")
    args = parser.parse_args()
    ensemble_cost(args.results, args.task, args.runs)
    if args.merge:
        merge_cost(args.results, args.merge)


if __name__ == "__main__":
    main()
