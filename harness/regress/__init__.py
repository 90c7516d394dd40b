"""Regression gate: did a candidate (a new model release) get worse than a baseline on recorded runs?

    baseline = select_runs(load_side("released-results", results, "baseline"), {}, "baseline")
    candidate = select_runs(load_side("candidate-results", results, "candidate"), {}, "candidate")
    result = run_gate(baseline, candidate, tolerances=build_tolerances(["accuracy=0.005"]))
    print(markdown(result)); sys.exit(result.exit_code)

Pure analysis over run records and their per-example predictions: paired bootstrap and
McNemar (harness.compare.stats) per (task, split, metric), a tolerance per metric, and a
verdict per check. Any list of `Run`s can be a side (a folder, a record, a leaderboard view).
"""

from harness.regress.gate import ALL_TASKS, FAIL, MISSING, PASS, UNDEFINED, Check, GateResult, run_gate, verdict
from harness.regress.pairing import TaskRuns, check_comparable, group_by_task
from harness.regress.report import markdown, summary_line, to_json
from harness.regress.selection import Run, load_side, parse_filters, select_runs, select_view_runs
from harness.regress.tolerances import Tolerances, build_tolerances, parse_flag

__all__ = [
    "ALL_TASKS",
    "FAIL",
    "MISSING",
    "PASS",
    "UNDEFINED",
    "Check",
    "GateResult",
    "Run",
    "TaskRuns",
    "Tolerances",
    "build_tolerances",
    "check_comparable",
    "group_by_task",
    "load_side",
    "markdown",
    "parse_filters",
    "parse_flag",
    "run_gate",
    "select_runs",
    "select_view_runs",
    "summary_line",
    "to_json",
    "verdict",
]
