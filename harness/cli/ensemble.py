"""`harness ensemble`: combine recorded runs' per-example outputs into one prediction each, and record it."""

from __future__ import annotations

import click

from harness.cli import options
from harness.cli.fusion_members import member_options, parse_weights, selection_from
from harness.cli.render_fusion import print_fusion_summary
from harness.fusion import COMBINERS, ensemble as combine_outputs
from harness.record import strict_json


@click.command()
@click.argument("run_ids", nargs=-1)
@member_options
@click.option("--combine", type=click.Choice(list(COMBINERS)), default="soft", show_default=True,
              help="soft: mean of probabilities (scores for regression; per word for NER, decoded into valid "
                   "IOB2 spans); majority: most votes (median for regression).")
@click.option("--weights", help="One weight per member, in the members' order (e.g. 2,1,1); default equal.")
@click.option("--fit-weights", "fit", is_flag=True,
              help="Fit the weights on the members' outputs on their selection split (never a reported split): "
                   "least log-loss (least squares for regression).")
@options.n_boot
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--force", is_flag=True, help="Combine again even if this ensemble is already recorded.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON on stdout.")
def ensemble(run_ids, task, model, method, seeds, settings, combine, weights, fit, n_boot, data_dir, tasks_dirs, output,
             force, as_json):
    """Combine the outputs of RUN_IDS (or of the runs chosen by --task/--model/--method/--seeds), with no model
    loaded, and record the ensemble with its metrics, paired tests against its members, and its cost."""
    outcome = combine_outputs(run_ids, selection=selection_from(run_ids, task, model, method, seeds, settings),
                              results=output, combine=combine, weights=parse_weights(weights), fit=fit, data_dir=data_dir,
                              tasks_dirs=list(tasks_dirs), n_boot=n_boot, force=force)
    if as_json:
        click.echo(strict_json.dumps(outcome.record, indent=2))
    else:
        print_fusion_summary(outcome.record, outcome.path, skipped=outcome.skipped)
