"""`harness merge`: combine recorded runs' saved models into one model, evaluate it and record it."""

from __future__ import annotations

import click

from harness.cli import options
from harness.cli.fusion_members import member_options, parse_weights, selection_from
from harness.cli.range_type import ranged
from harness.cli.render_fusion import print_fusion_summary
from harness.fusion.merge import merge as merge_models
from harness.fusion.merge_checks import DENSITY, HOW, SCALE
from harness.ranges import SEED
from harness.record import strict_json


@click.command()
@click.argument("run_ids", nargs=-1)
@member_options
@click.option("--how", type=click.Choice(HOW), default="uniform", show_default=True,
              help="uniform: the members' mean (a model soup); greedy: the mean of the members that raise the "
                   "selection score; task-arithmetic: pretrained + scale x the sum of changes; ties, dare: the "
                   "changes trimmed or dropped first.")
@click.option("--weights", help="One weight per member, in the members' order (e.g. 2,1,1); default equal.")
@click.option("--scale", type=ranged(SCALE), help="task-arithmetic, ties, dare: factor on the merged change "
                                                  "(default 1.0).")
@click.option("--density", type=ranged(DENSITY), help="ties, dare: share of each change kept (default 0.2 for "
                                                      "ties, 0.5 for dare).")
@click.option("--seed", type=ranged(SEED), help="dare: the seed of its random drops (default 0).")
@click.option("--multi-task", is_flag=True, help="Members of different tasks: one merged backbone, each task with "
                                                 "its own head, recorded per task.")
@options.n_boot
@options.device
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--force", is_flag=True, help="Merge again even if this merge is already recorded.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON on stdout.")
def merge(run_ids, task, model, method, seeds, settings, how, weights, scale, density, seed, multi_task, n_boot,
          device, data_dir, tasks_dirs, output, force, as_json):
    """Merge the saved models of RUN_IDS (runs made with --save-model; or chosen by --task/--model/--method/--seeds)
    into one model, evaluate it on the task's reported splits and record it, with paired tests against its
    members. The merged model is saved beside its record."""
    outcomes = merge_models(run_ids, selection=selection_from(run_ids, task, model, method, seeds, settings),
                            results=output, how=how, weights=parse_weights(weights), scale=scale, density=density,
                            seed=seed, multi_task=multi_task, data_dir=data_dir, tasks_dirs=list(tasks_dirs),
                            device=None if device == "auto" else device, n_boot=n_boot, force=force)
    for outcome in outcomes:
        if as_json:
            click.echo(strict_json.dumps(outcome.record, indent=2))
        else:
            print_fusion_summary(outcome.record, outcome.path, skipped=outcome.skipped)
