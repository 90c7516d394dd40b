"""`harness regress`: the regression gate for a model release, over recorded runs.

Exit 0: nothing significantly worse beyond tolerance; 1: something is (the summary line on
stderr says what); 2: bad input (one line, nothing written).
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.board.view import load_view
from harness.cli import options
from harness.errors import HarnessError
from harness.record import strict_json
from harness.record.store import atomic_write
from harness.regress import (
    ALL_TASKS,
    build_tolerances,
    load_side,
    markdown,
    parse_filters,
    run_gate,
    select_runs,
    select_view_runs,
    summary_line,
    to_json,
)

_SIDE_HELP = "A run record (.json), a results folder (every record in it), or a run id in --results."
_FILTER_HELP = ("Only runs of this {0} (comma list, repeatable); prefix baseline: or candidate: to narrow one "
                "side, e.g. --{0} candidate:NAME.")


@click.command()
@click.option("--baseline", required=True, metavar="RECORD|FOLDER|RUN_ID", help=_SIDE_HELP)
@click.option("--candidate", required=True, metavar="RECORD|FOLDER|RUN_ID", help=_SIDE_HELP)
@options.results_dir
@click.option("--task", "tasks", multiple=True, help=_FILTER_HELP.format("task"))
@click.option("--model", "models", multiple=True, help=_FILTER_HELP.format("model"))
@click.option("--method", "methods", multiple=True, help=_FILTER_HELP.format("method"))
@click.option("--view", help="Only the runs a leaderboard view selects (glue, peft, ... or a view YAML file).")
@options.views_dirs
@click.option("--tolerance", "tolerance_flags", multiple=True, metavar="METRIC=DROP",
              help="Allowed drop of a metric (absolute), e.g. accuracy=0.005, conll2003/entity_f1=0.01, default=0; "
                   "repeatable, wins over --tolerances.")
@click.option("--tolerances", "tolerance_file", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML mapping metric (or task/metric) -> allowed drop, with `default` for the rest.")
@options.alpha
@options.n_boot
@click.option("--allow-missing", "allow_missing", multiple=True, is_flag=False, flag_value=ALL_TASKS,
              metavar="[TASK]", help="A task the baseline has may be missing in the candidate: every task when "
                                     "given alone, or the tasks named (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON instead of markdown.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), help="Also write the markdown here.")
def regress(baseline, candidate, output, tasks, models, methods, view, views_dirs, tolerance_flags, tolerance_file, alpha, n_boot,
            allow_missing, as_json, report):
    """Fail (exit 1) when the candidate got significantly worse than the baseline beyond tolerance."""
    tolerances = build_tolerances(tolerance_flags, tolerance_file)
    filters = parse_filters({"task": tasks, "model": models, "method": methods})
    chosen_view = load_view(view, views_dirs) if view else None
    sides = {}
    for side, source in (("baseline", baseline), ("candidate", candidate)):
        runs = load_side(source, output, side)
        if chosen_view is not None:
            runs = select_view_runs(runs, chosen_view, side)
        sides[side] = select_runs(runs, filters[side], side)
    allowed = {name.strip() for value in allow_missing for name in value.split(",") if name.strip()}
    result = run_gate(sides["baseline"], sides["candidate"], tolerances=tolerances, alpha=alpha, n_boot=n_boot,
                      allow_missing=allowed)
    text = markdown(result, baseline, candidate)
    if report is not None:
        try:
            atomic_write(report, [text])
        except OSError as exc:
            raise HarnessError(f"--report {report}: cannot be written ({exc.strerror or type(exc).__name__}); "
                               "pass a file in a folder you can write to") from None
    if as_json:
        click.echo(strict_json.dumps(to_json(result, baseline, candidate), indent=2))
    else:
        click.echo(text, nl=False)
    click.echo(summary_line(result), err=True)
    return result.exit_code
