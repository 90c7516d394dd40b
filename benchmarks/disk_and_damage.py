"""A damaged record in the middle of a sweep, and a sweep into a disk that fills up: nothing lost, no traceback.

    python benchmarks/disk_and_damage.py [--model minilm] [--output DIR] [--data-dir DIR] [--small-disk DIR]

1. Records a grid of 6 small runs (MODEL x full,lora,bitfit x sst2 x seeds 0,1; 64 training and 32
   evaluation examples, 1 epoch).
2. Damages two of its records (one cut short, one replaced by a JSON array) and runs the same sweep
   again: those two runs must be reported as failed in one line each, with the file named and left
   as it was, and the other four skipped as recorded; `--dry-run` must say the same beforehand.
3. Runs the grid with --save-model and checkpoints every 2 updates into a disk too small for it: a
   2.5 MB tmpfs this script mounts at --small-disk (Linux, as root), or a small folder you mounted
   there yourself. Every run must end recorded or failed with a one-line reason (no room, checked
   before training, or a write that failed), and the folder must hold no orphan predictions, no
   temporary file and no half-saved model (`harness results check` finds nothing).

Prints the counts (runs recorded, failed, lost, tracebacks, damaged files changed, leftovers) and
exits 1 if any promise is broken.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GRID = ["--methods", "full,lora,bitfit", "--tasks", "sst2", "--seeds", "2", "--train-limit", "64",
        "--eval-limit", "32", "--epochs", "1", "--quiet"]


def harness(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, env=env)


def tracebacks(*done: subprocess.CompletedProcess) -> int:
    return sum(d.stderr.count("Traceback (most recent call last)") for d in done)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damaged_record_step(model: str, results: Path, env: dict[str, str]) -> dict[str, int]:
    first = harness("sweep", "--models", model, *GRID, "--results", str(results), env=env)
    records = sorted(results.glob("sst2/*.json"))
    cut, array = records[0], records[1]
    cut.write_text(cut.read_text(encoding="utf-8")[:200], encoding="utf-8")
    array.write_text("[1, 2]", encoding="utf-8")
    before = {path: digest(path) for path in (cut, array)}
    planned = harness("sweep", "--models", model, *GRID, "--results", str(results), "--dry-run", env=env)
    again = harness("sweep", "--models", model, *GRID, "--results", str(results), env=env)
    ran, skipped, failed = map(int, re.search(r"(\d+) ran, (\d+) already recorded, (\d+) failed",
                                              again.stdout).groups())
    return {
        "recorded at first": len(records), "first sweep exit": first.returncode,
        "dry-run says will fail": planned.stdout.count("will fail"),
        "rerun exit": again.returncode, "rerun ran": ran, "rerun failed runs": failed,
        "rerun skipped as recorded": skipped,
        "damaged files changed": sum(digest(p) != h for p, h in before.items()),
        "tracebacks": tracebacks(first, planned, again),
    }


def small_disk(path: Path) -> bool:
    """Mount a 2.5 MB tmpfs at `path` unless something is mounted there already; False when that cannot be."""
    path.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(path):
        return True
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2560k", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def full_disk_step(model: str, disk: Path, env: dict[str, str]) -> dict[str, int]:
    results = disk / "results"
    done = harness("sweep", "--models", model, *GRID, "--save-model", "--checkpoint-every", "2",
                   "--results", str(results), env=env)
    check = harness("results", "check", "--results", str(results), env=env)
    recorded = len(list(results.glob("sst2/*.json")))
    failed = len([line for line in done.stderr.splitlines() if ": failed: " in line])
    return {
        "sweep exit": done.returncode, "runs recorded": recorded, "runs failed with a reason": failed,
        "runs lost (neither)": 6 - recorded - failed,
        "orphan predictions": sum(not p.with_name(p.name.replace(".predictions.jsonl.gz", ".json")).exists()
                                  for p in results.glob("sst2/*.predictions.jsonl.gz")),
        "temporary files": len(list(results.rglob("*.tmp"))),
        "half-saved model folders": sum(not ((p / "manifest.json").is_file() and any(p.glob("*.safetensors")))
                                        for p in results.glob("sst2/*.model")),
        "results check exit": check.returncode, "tracebacks": tracebacks(done, check),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--data-dir", default=os.environ.get("HARNESS_DATA_DIR", "../shared/data"))
    parser.add_argument("--small-disk", type=Path, default=Path("/tmp/harness-small-disk"))
    options = parser.parse_args()
    output = options.output or Path(tempfile.mkdtemp(prefix="disk-and-damage-"))
    env = {**os.environ, "HARNESS_DATA_DIR": str(options.data_dir), "HF_HUB_OFFLINE": "1"}
    broken = []
    damage = damaged_record_step(options.model, output / "damaged", env)
    print(f"damaged records in a sweep ({output / 'damaged'}):")
    for name, value in damage.items():
        print(f"  {name}: {value}")
    if (damage["dry-run says will fail"], damage["rerun failed runs"], damage["rerun skipped as recorded"],
            damage["damaged files changed"], damage["tracebacks"]) != (2, 2, 4, 0, 0) or damage["rerun exit"] != 1:
        broken.append("damaged records")
    if not small_disk(options.small_disk):
        print(f"full disk: skipped (cannot mount a tmpfs at {options.small_disk}; mount a small one there)")
    else:
        disk = full_disk_step(options.model, options.small_disk, env)
        print(f"full disk ({options.small_disk}):")
        for name, value in disk.items():
            print(f"  {name}: {value}")
        if any(disk[key] for key in ("runs lost (neither)", "orphan predictions", "temporary files",
                                     "half-saved model folders", "results check exit", "tracebacks")):
            broken.append("full disk")
    print("all promises kept" if not broken else f"broken: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
