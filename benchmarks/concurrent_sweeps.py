"""Two sweeps started at the same moment over overlapping grids, into one results folder.

    python benchmarks/concurrent_sweeps.py [--a lora,full] [--b lora,bitfit] [--seeds 0,1] [--model minilm]
           [--output DIR] [--data-dir DIR]

Both sweeps train MODEL on sst2 (32 train / 32 evaluation examples, 1 epoch) with their own
methods; the methods both list come first in both, so the two reach the shared runs together
and the per-run lock is what keeps them from running one twice. Prints the specs in the union,
the records, distinct run ids, whether each spec is recorded exactly once, what each sweep
trained, skipped (recorded by the other) and put off (held by the other), and whether
trained(A) + trained(B) equals the union (nothing ran twice). Exit 1 if any check fails.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fault_injection import (
    SUMMARY,
    child_env,
    default_data_dir,
    harness_command,
    planned_ids,
    read_records,
    record_files,
    results_check,
    sweep_args,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default="lora,full", help="Methods of sweep A.")
    parser.add_argument("--b", default="lora,bitfit", help="Methods of sweep B.")
    parser.add_argument("--seeds", default="0,1", help="Seeds of both sweeps (a count or a comma list).")
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--results", type=Path, help="The shared results folder (default: a new temporary folder).")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    options = parser.parse_args()
    output = options.output or Path(tempfile.mkdtemp(prefix="concurrent-sweeps-"))
    if record_files(output):
        sys.exit(f"{output} already holds records; pass an empty --output folder")
    grids = {name: sweep_args(options.model, methods, options.seeds, output, options.data_dir)
             for name, methods in (("A", options.a), ("B", options.b))}
    ids = {name: planned_ids(args) for name, args in grids.items()}
    union = set(ids["A"]) | set(ids["B"])
    print(f"A: {options.model} x {options.a} x sst2 x seeds {options.seeds} = {len(ids['A'])} runs")
    print(f"B: {options.model} x {options.b} x sst2 x seeds {options.seeds} = {len(ids['B'])} runs")
    print(f"shared folder {output}\n")

    started = time.monotonic()
    sweeps = {name: subprocess.Popen(harness_command(*args), env=child_env(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True) for name, args in grids.items()}
    logs = {name: sweep.communicate()[0] for name, sweep in sweeps.items()}
    seconds = time.monotonic() - started
    for name, log in logs.items():
        (output / f"sweep-{name}.log").write_text(log)

    counts = {}
    for name, log in logs.items():
        found = SUMMARY.search(log)
        flat = " ".join(log.split())  # a wrapped line still counts
        ran, skipped, failed = map(int, found.groups()) if found else (-1, -1, -1)
        counts[name] = {"ran": ran, "skipped": skipped, "failed": failed, "exit": sweeps[name].returncode,
                        "put_off": len(re.findall(r"coming back to it", flat))}
    files = record_files(output)
    records = read_records(output)
    problems, leftovers = results_check(output)
    once = len(files) == len(records) and set(records) == union
    trained = counts["A"]["ran"] + counts["B"]["ran"]
    checks = {
        "both sweeps exit 0": all(c["exit"] == 0 for c in counts.values()),
        "no run failed": all(c["failed"] == 0 for c in counts.values()),
        "each spec recorded exactly once": once,
        "trained(A) + trained(B) == union": trained == len(union),
        "skipped(A) + skipped(B) == shared specs": counts["A"]["skipped"] + counts["B"]["skipped"]
                                                    == len(ids["A"]) + len(ids["B"]) - len(union),
        "corrupt or incomplete files == 0": not problems,
    }
    print(f"specs in the union             {len(union)} ({len(set(ids['A']) & set(ids['B']))} in both grids)")
    print(f"records                        {len(files)}")
    print(f"distinct run ids               {len(records)}")
    print(f"each spec recorded once        {'yes' if once else 'no'}")
    for name, c in counts.items():
        print(f"sweep {name}                        trained {c['ran']}, skipped {c['skipped']} (recorded by the "
              f"other), put off {c['put_off']} (held by the other), failed {c['failed']}, exit {c['exit']}")
    print(f"trained(A) + trained(B)        {trained} == union {len(union)}: "
          f"{'yes' if trained == len(union) else 'no'} (nothing ran twice)")
    print(f"corrupt/incomplete files       {len(problems)}; .tmp leftovers {len(leftovers)}")
    print(f"wall time                      {seconds:.0f} s for both")
    failed = [name for name, ok in checks.items() if not ok]
    print("\nall checks passed" if not failed else f"\nFAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
