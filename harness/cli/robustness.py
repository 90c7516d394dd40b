"""`harness robustness`: evaluate recorded runs' saved models on perturbed data and add it to their records."""

from __future__ import annotations

import click
from rich.console import Console

from harness.attack.settings import attack_entry
from harness.cli import options
from harness.cli.render import robustness_comparison, robustness_table
from harness.cli.render_attack import attack_table
from harness.errors import HarnessError
from harness.perturb import load_plugins
from harness.record.store import ResultStore
from harness.replay import add_robustness
from harness.robustness.perturbed import check_perturb_spec
from harness.tasks import load_task


@click.command()
@click.option("--perturb", help="'all' or NAME[:SEVERITY],... (default all, unless --attack is given).")
@click.option("--task", help="Only runs of this task.")
@click.option("--model", help="Only runs of this model.")
@click.option("--method", help="Only runs of this method.")
@click.option("--run", "run_ids", multiple=True, help="Only this run id (repeatable).")
@options.perturb_modules
@options.attack_options
@click.option("--show", is_flag=True, help="Only print the robustness already recorded, runs side by side per task.")
@options.device
@options.data_dir
@options.tasks_dirs
@options.results_dir
def robustness(perturb, task, model, method, run_ids, perturb_modules, show, device, data_dir, tasks_dirs, output,
               **attack_flags):
    """Score recorded runs (saved with --save-model) on perturbed copies of their evaluation data, or attack them."""
    load_plugins(*perturb_modules)
    attack = options.attack_request(attack_flags)
    if perturb is None and attack.attack is None:
        perturb = "all"
    store = ResultStore(output)
    tasks_dirs = list(tasks_dirs)
    task_name = load_task(task, tasks_dirs).name if task else None
    chosen = []
    for path, record, problem in store.records():
        if record is None:
            continue
        spec = record["spec"]
        if (task and spec["task"] != task_name) or (model and spec["model"] != model) \
                or (method and spec["method"] != method) or (run_ids and record["run_id"] not in run_ids):
            continue
        chosen.append((path, record))
    if not chosen:
        given = [f"--{name} {value}" for name, value in (("task", task), ("model", model), ("method", method))
                 if value] + [f"--run {run_id}" for run_id in run_ids]
        wanted = f" {' '.join(given)}" if given else " (no run record there)"
        raise HarnessError(f"no recorded run in {output} matches{wanted}; check --task/--model/--method/--run "
                           "and --results")
    console, skipped = Console(), []
    if show:
        by_task: dict[str, list[dict]] = {}
        for _, record in chosen:
            if record.get("robustness"):
                by_task.setdefault(record["spec"]["task"], []).append(record)
        if not by_task:
            raise HarnessError("none of these runs has robustness recorded; run with --perturb or without --show")
        for records in by_task.values():
            console.print(robustness_comparison(records))
        return
    for path, record in chosen:
        task_def = load_task(record["task"].get("path") or record["spec"]["task"], tasks_dirs)
        if perturb:
            check_perturb_spec(perturb, task_def)
        attack_settings = attack_entry(attack, task_def)
        if not record.get("artifact"):
            skipped.append(record["run_id"])
            continue
        updated = add_robustness(store, path, record, perturb, data_dir, None if device == "auto" else device,
                                 tasks_dirs, attack=attack_settings)
        if perturb:
            console.print(robustness_table(updated))
        if attack_settings:
            console.print(attack_table(updated))
    if skipped:
        console.print(f"skipped {len(skipped)} run(s) without a saved model ({', '.join(skipped)}): rerun them "
                      "with --save-model, or use `harness run --perturb`")
