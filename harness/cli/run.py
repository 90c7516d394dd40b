"""`harness run`: fine-tune and evaluate one model with one method on one task, and record it."""

from __future__ import annotations

import click

from harness.cli import options
from harness.cli.method_flags import method_option_flags, pop_method_options
from harness.cli.render import print_run_summary
from harness.perturb import load_plugins
from harness.pipeline import execute, plan
from harness.record import strict_json
from harness.train.launch import is_main_process


@click.command()
@click.option("--model", default="minilm", show_default=True,
              help="Short name (minilm, smollm2-135m, gemma3-270m), local model folder, or hub id.")
@click.option("--method", default="full", show_default=True, help="Fine-tuning method (full, frozen, lora, ...).")
@click.option("--task", required=True, help="Task name (see `harness tasks`) or a task YAML file.")
@options.seed
@options.run_settings
@click.option("--group-by-length/--no-group-by-length", default=None,
              help="Batch examples of similar length together (default on: far less padding).")
@click.option("--pooling", type=click.Choice(["mean", "cls", "last"]),
              help="Sequence pooling (default: mean for encoders, last token for decoders).")
@options.perturb
@options.perturb_modules
@click.option("--variant", help="Evaluate a compressed/quantized variant of the trained model (int8-dynamic, prune-50, "
                                "...; `harness profile --list`).")
@options.device
@options.data_dir
@options.tasks_dirs
@options.results_dir
@click.option("--force", is_flag=True, help="Run again even if this exact run is already recorded.")
@click.option("--save-model", is_flag=True,
              help="Keep the trained weights (adapter or whole model) in <results>/<task>/<run_id>.model.")
@click.option("--resume", is_flag=True,
              help="Continue this run from its checkpoint (left by an interrupted attempt) to the same final numbers.")
@options.checkpoint_every
@options.checkpoint_minutes
@options.distill_options
@options.remedy_options
@options.attack_options
@options.spread_options
@options.backbone_options
@options.tracker_options
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON on stdout.")
@options.quiet
@method_option_flags
def run(model, method, task, seed, epochs, lr, batch_size, grad_accum, max_length, warmup_ratio, weight_decay,
        patience, group_by_length, train_limit, eval_limit, fold, init_seed, pooling, perturb, perturb_modules, variant, device, data_dir,
        tasks_dirs, output, force, save_model, resume, checkpoint_every, checkpoint_minutes, student_layers, as_json,
        quiet, **method_flags):
    """Fine-tune MODEL with METHOD on TASK, evaluate it, and record the run."""
    trackers = options.tracker_request_from(method_flags)  # checked before anything loads
    load_plugins(*perturb_modules)
    distill = options.distill_request(method_flags)
    remedy = options.remedy_request(method_flags)
    attack = options.attack_request(method_flags)
    prompt_spread = options.spread_request(method_flags)
    backbone = options.backbone_request(method_flags)
    training = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "grad_accum": grad_accum,
                "warmup_ratio": warmup_ratio, "weight_decay": weight_decay, "patience": patience,
                "group_by_length": group_by_length}
    spec, task_def = plan(model, method, task, seed=seed, training=training,
                          method_options=pop_method_options(method_flags, [method])[method], max_length=max_length,
                          train_limit=train_limit, eval_limit=eval_limit, pooling=pooling, fold=fold, init_seed=init_seed,
                          perturb=perturb, variant=variant, student_layers=student_layers, distill=distill,
                          remedy=remedy, attack=attack, prompt_spread=prompt_spread, backbone=backbone,
                          results=output, data_dir=data_dir,
                          tasks_dirs=list(tasks_dirs))
    outcome = execute(spec, task_def, output=output, data_dir=data_dir, force=force, save_model=save_model,
                      resume=resume, checkpoint_every=checkpoint_every, checkpoint_minutes=checkpoint_minutes,
                      device=None if device == "auto" else device, show_progress=not quiet and not as_json,
                      trackers=trackers)
    if not is_main_process():  # under accelerate/torchrun only the main process reports
        return 0
    if as_json:
        click.echo(strict_json.dumps(outcome.record, indent=2))
    else:
        print_run_summary(outcome.record, outcome.path, skipped=outcome.skipped)
