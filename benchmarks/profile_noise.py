"""The same `harness profile` run twice, one process after the other: do the medians agree?

    python benchmarks/profile_noise.py --task sst2 --run RUN_ID --results DIR [--variants all]
           [--tolerance 0.10] [-- extra harness profile options, e.g. --threads 2 --rounds 5]

Runs `harness profile --json` twice with the same options, then prints, for every variant and
batch size, both medians and how far apart they are (|a - b| / min(a, b)), and the largest gap.
Exit 1 if any cell is further apart than --tolerance. Then the machine's own speed in each run
(the fixed matmul each profile times before every variant) beside the cells' typical ratio:
when both moved alike, the machine changed speed between the runs, not the timing. Run it on
an otherwise idle machine: anything else running lands in the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys


def profile_once(arguments: list[str]) -> dict:
    command = [sys.executable, "-m", "harness", "profile", *arguments, "--json", "--quiet"]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit(f"harness profile failed (exit {finished.returncode}): {finished.stderr.strip()[-2000:]}")
    return json.loads(finished.stdout)


def medians(record: dict) -> dict[tuple[str, int], float]:
    """(variant, batch size) -> median ms, for the cells that were measured."""
    return {(variant["variant"], timing["used"]): timing["latency"]["median_ms"]
            for variant in record["variants"] for timing in variant["latency"] if timing["latency"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True)
    parser.add_argument("--run", required=True, help="A recorded run saved with --save-model.")
    parser.add_argument("--results", required=True)
    parser.add_argument("--variants", default="all")
    parser.add_argument("--tolerance", type=float, default=0.10, help="Largest relative gap allowed (0.10 = 10%%).")
    known, extra = parser.parse_known_args()
    arguments = ["--task", known.task, "--run", known.run, "--results", known.results, "--variants", known.variants,
                 *[a for a in extra if a != "--"]]
    first, second = profile_once(arguments), profile_once(arguments)
    a, b = medians(first), medians(second)
    print(f"profiles {first['profile_id']} and {second['profile_id']} ({first['settings']})")
    print(f"{'variant':<18}{'batch':>6}{'run 1 ms':>11}{'run 2 ms':>11}{'gap':>8}")
    worst = 0.0
    for cell in a:
        if cell not in b:
            print(f"{cell[0]:<18}{cell[1]:>6}{a[cell]:>11.2f}{'-':>11}  (not measured in run 2)")
            continue
        gap = abs(a[cell] - b[cell]) / min(a[cell], b[cell])
        worst = max(worst, gap)
        flag = "" if gap <= known.tolerance else "  over"
        print(f"{cell[0]:<18}{cell[1]:>6}{a[cell]:>11.2f}{b[cell]:>11.2f}{gap:>8.1%}{flag}")
    within = worst <= known.tolerance and a.keys() == b.keys()
    print(f"largest gap {worst:.1%}: {'within' if within else 'NOT within'} {known.tolerance:.0%}")
    shared = [b[cell] / a[cell] for cell in a if cell in b and a[cell] > 0]
    if shared:
        print(f"cells, run 2 / run 1: median ratio {statistics.median(shared):.3f}")
    probes = [record.get("machine_probe") or {} for record in (first, second)]
    if all(probe.get("median_ms") for probe in probes):
        a_ms, b_ms = (probe["median_ms"] for probe in probes)
        spreads = " and ".join("-" if probe["spread"] is None else f"{probe['spread']:.0%}" for probe in probes)
        print(f"machine probe ({probes[0]['what']}): run 1 {a_ms:.3f} ms, run 2 {b_ms:.3f} ms, "
              f"ratio {b_ms / a_ms:.3f}; within each run {spreads} apart")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
