"""Sweeps: a grid of runs planned up front, then run one by one with resume."""

from harness.sweep.grid import (
    Grid,
    MethodEntry,
    PlannedRun,
    check_data,
    parse_seeds,
    plan_grid,
    read_sweep_file,
    split_names,
)
from harness.sweep.scheduler import SweepResult, run_grid

__all__ = ["Grid", "MethodEntry", "PlannedRun", "SweepResult", "check_data", "parse_seeds", "plan_grid", "read_sweep_file",
           "run_grid", "split_names"]
