"""The README's tables of measured figures, rendered from the records in results/.

Each table sits between two markers, the first naming the command that renders it:

    <!-- table: harness leaderboard peft --format markdown -->
    ...
    <!-- /table -->

    python benchmarks/readme_tables.py            # rewrite every table from the records
    python benchmarks/readme_tables.py --check    # change nothing; exit 1 naming each table that differs

A table is the command's markdown output over the results folder (headings dropped), under one
line naming the command, how many records it read, and the commit, machine and versions those
records say made them. The command is a leaderboard view (`harness leaderboard VIEW --format
markdown`) or a comparison (`harness compare ... --no-run`, whose markdown report is read). A
benchmark's own records (`python benchmarks/NAME.py --render FILE...`, files under
results/benchmarks/, which no run reader opens) are rendered by the benchmark itself, provenance line
included: its stdout, with `--results RESULTS` added, is the table.
tests/test_readme_tables.py runs the check over the committed records.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- table: (?P<command>.+?) -->\n)(?P<body>.*?)(<!-- /table -->)", re.DOTALL)
RUN_ID = re.compile(r"^([0-9a-f]{16})\s", re.MULTILINE)
COMPARE_ONLY = {"--reference": 1, "--alpha": 1, "--n-boot": 1, "--report-dir": 1, "--no-run": 0}


class TableError(Exception):
    """A table that cannot be rendered: the message names it and what to do."""


def harness(args: list[str], results: Path) -> str:
    """`harness ARGS --results RESULTS` in this process (no training happens here); its stdout, or TableError."""
    from harness.cli.main import main  # imported late: `--help` needs no torch

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([*args, "--results", str(results)])
    if code != 0:
        raise TableError(f"`harness {shlex.join(args)}` exited {code}: {err.getvalue().strip()[-500:]}")
    skipped = [line for line in err.getvalue().splitlines() if line.startswith("warning: skipped")]
    if skipped:  # a table over fewer records than it had is not the README's table
        raise TableError(f"`harness {shlex.join(args)}` {' | '.join(skipped)}; `harness results check` says more")
    return out.getvalue()


def markdown_and_runs(command: str, results: Path) -> tuple[str, list[str]]:
    """The table's markdown and the run ids behind it."""
    args = shlex.split(command)
    if args[:1] != ["harness"] or args[1:2] not in (["leaderboard"], ["compare"]):
        raise TableError(f"table command {command!r}: expected `harness leaderboard ...` or `harness compare ...`")
    args = args[1:]
    if args[0] == "leaderboard":
        text = harness(args, results)
        as_json = json.loads(harness([a if a != "markdown" else "json" for a in args], results))
        runs = {run for row in as_json["rows"] for cell in row["cells"].values() for run in cell.get("run_ids") or []}
        return text, sorted(runs)
    with tempfile.TemporaryDirectory() as report_dir:
        harness([*args, "--no-run", "--report-dir", report_dir], results)
        text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(Path(report_dir).glob("*.md")))
    planned = harness(["sweep", *_grid_args(args[1:]), "--dry-run"], results)
    return text, RUN_ID.findall(planned)


def _grid_args(args: list[str]) -> list[str]:
    """A comparison's flags less those only `compare` has: what `harness sweep --dry-run` plans from."""
    kept, skip = [], 0
    for arg in args:
        if skip:
            skip -= 1
        elif arg.split("=")[0] in COMPARE_ONLY:
            skip = 0 if "=" in arg else COMPARE_ONLY[arg]
        else:
            kept.append(arg)
    return kept


def tidy(markdown: str) -> str:
    """Headings and image links dropped (the README has its own), blank runs squeezed."""
    lines = [line for line in markdown.splitlines() if not line.startswith(("#", "!["))]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _records(results: Path, run_ids: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """The runs' records, and the profiles made of them (their timings' machine)."""
    found, profiles = [], []
    for run_id in run_ids:
        paths = list(results.glob(f"*/{run_id}.json"))
        if not paths:
            raise TableError(f"run {run_id} is not recorded in {results}")
        try:
            found.append(json.loads(paths[0].read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TableError(f"{paths[0]} cannot be read ({exc}); `harness results check` says more") from None
    for path in sorted(results.glob("*/profiles/*.json")):
        try:
            profile = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TableError(f"{path} cannot be read ({exc}); `harness results check` says more") from None
        if isinstance(profile, dict) and (profile.get("model") or {}).get("run_id") in set(run_ids):
            profiles.append(profile)
    return found, profiles


def _machine(record: dict) -> str:
    device = (record.get("environment") or {}).get("device") or {}
    if device.get("type") == "cuda":
        return f"cuda, {device.get('gpu')}"
    return f"{device.get('type', '?')}, {device.get('cpu') or '?'}, {device.get('torch_threads', '?')} torch threads"


def _made_with(record: dict) -> str:
    environment = record.get("environment") or {}
    versions, git = environment.get("versions") or {}, environment.get("git") or {}
    commit = (git.get("commit") or "?")[:7] + (" with local changes" if git.get("dirty") else "")
    return (f"harness {versions.get('harness', '?')} at commit {commit}; {_machine(record)}; "
            f"torch {versions.get('torch', '?')}, transformers {versions.get('transformers', '?')}")


def provenance(command: str, runs: list[dict], profiles: list[dict]) -> str:
    """One line: the command, how many records, and what made them (each distinct setup with its count)."""
    records = [*runs, *profiles]
    made = Counter(_made_with(record) for record in records)
    dates = sorted(str(record.get("created_at", ""))[:10] for record in records if record.get("created_at"))
    when = dates[0] if dates[:1] == dates[-1:] else f"{dates[0]} to {dates[-1]}" if dates else "?"
    setups = f" by {next(iter(made))}" if len(made) == 1 else ": " + "; and ".join(
        f"{count} by {text}" for text, count in made.items())
    read = f"{len(runs)} run record{'s' if len(runs) != 1 else ''}"
    read += f" and {len(profiles)} profile{'s' if len(profiles) != 1 else ''}" if profiles else ""
    return f"<sub>`{command}` over {read} in `results/`, made {when}{setups}.</sub>"


def benchmark_table(command: str, results: Path) -> str:
    """`python benchmarks/NAME.py --render ...` run over `results`: its stdout (provenance line and table)."""
    args = shlex.split(command)
    if len(args) < 3 or not args[1].startswith("benchmarks/") or "--render" not in args:
        raise TableError(f"table command {command!r}: expected `python benchmarks/NAME.py --render FILE...`")
    done = subprocess.run([sys.executable, *args[1:], "--results", str(results)], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise TableError(f"`{command}` exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return tidy(done.stdout) + "\n"


def render(command: str, results: Path) -> str:
    if command.startswith("python "):
        return benchmark_table(command, results)
    text, run_ids = markdown_and_runs(command, results)
    if not run_ids:
        raise TableError(f"`{command}` read no run: record its runs first (benchmarks/readme/regenerate.sh)")
    return f"{provenance(command, *_records(results, run_ids))}\n\n{tidy(text)}\n"


def rendered_readme(readme: str, results: Path) -> tuple[str, list[str]]:
    """The README with every table re-rendered, and the commands whose table changed."""
    changed: list[str] = []

    def replace(match: re.Match) -> str:
        body = render(match["command"], results)
        if body != match["body"]:
            changed.append(match["command"])
        return match.group(1) + body + match.group(4)

    return BLOCK.sub(replace, readme), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "results", help="records to render (default results/)")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a table differs")
    options = parser.parse_args(argv)
    results, readme_path = options.results.resolve(), options.readme.resolve()
    os.chdir(REPO)  # the commands in the markers name files relative to the repository
    try:
        readme = readme_path.read_text(encoding="utf-8")
        updated, changed = rendered_readme(readme, results)
    except (TableError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if options.check:
        for command in changed:
            print(f"differs from its records: `{command}` (python benchmarks/readme_tables.py rewrites it)")
        return 1 if changed else 0
    readme_path.write_text(updated, encoding="utf-8")
    print(f"{len(BLOCK.findall(readme))} tables rendered, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
