"""Time `harness results export` and `harness.results.load` over 1,000 run records.

    python benchmarks/export_speed.py [--results results] [--records 1000] [--repeats 3]

Builds a temporary results folder of --records copies of the real records in --results (each under a
run id of its own), then prints the seconds of: `load` (the table), the export in this process per format
(load + write, through the CLI's own entry point), and `python -m harness results export` per format as a
user runs it (a fresh process: its time includes starting Python and importing the harness). Best of
--repeats for the in-process figures; one run each for the fresh processes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.cli.main import main as harness_main
from harness.results import FORMATS, load
from harness.results.export import write_frame


def build_folder(source: Path, target: Path, count: int) -> int:
    """`count` records copied from `source` under distinct run ids; returns the rows they make."""
    originals = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(source.glob("*/*.json"))]
    originals = [r for r in originals if isinstance(r, dict) and "metrics" in r]
    if not originals:
        raise SystemExit(f"no run records in {source}")
    for i in range(count):
        record = dict(originals[i % len(originals)], run_id=f"{i:04d}bench{i:07x}")
        folder = target / record["task"]["name"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{record['run_id']}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return len(load(target))


def best_of(repeats: int, action) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path(__file__).resolve().parents[1] / "results")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder, out = Path(scratch) / "results", Path(scratch) / "out"
        out.mkdir()
        rows = build_folder(args.results, folder, args.records)
        print(f"{args.records} records, {rows} rows")
        print(f"load                      {best_of(args.repeats, lambda: load(folder)):6.2f} s")
        frame = load(folder)
        for fmt in FORMATS:
            seconds = best_of(args.repeats, lambda: write_frame(frame, out / f"w.{fmt}", fmt))
            print(f"write {fmt:<8} (frame)     {seconds:6.2f} s")
        for fmt in FORMATS:
            argv = ["results", "export", "--results", str(folder), "--output", str(out / f"in.{fmt}")]
            seconds = best_of(args.repeats, lambda: harness_main(argv))
            print(f"export {fmt:<8} (in-process) {seconds:6.2f} s")
        for fmt in FORMATS:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "harness", "results", "export", "--results", str(folder),
                            "--output", str(out / f"cli.{fmt}")], check=True, capture_output=True)
            print(f"export {fmt:<8} (new process) {time.perf_counter() - start:6.2f} s")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "harness", "--help"], check=True, capture_output=True)
        print(f"`harness --help` (imports every command) {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main()
