"""Options shared by several commands, each declared once so that a flag reads the same everywhere.

Every number a flag takes has a declared range (harness/ranges.py), checked by `ranged`."""

from __future__ import annotations

from pathlib import Path

import click

from harness.attack.settings import DEFAULT_BUDGET, DEFAULT_MAX_SHARE, AttackRequest
from harness.cli.range_type import ranged
from harness.cli.results_folder import results_dir  # noqa: F401 (every command's --results, defined apart)
from harness.distill import settings
from harness.distill.settings import DistillRequest
from harness.prompt_spread.settings import SpreadRequest
from harness.ranges import (
    ADV_ALPHA,
    ADV_EPSILON,
    ADV_STEPS,
    ALPHA,
    ATTACK_BUDGET,
    ATTACK_MAX_SHARE,
    AUGMENT_COPIES,
    AUGMENT_PROB,
    DEMO_DRAWS,
    N_BOOT,
    PROMPT_FORMATS,
    SEED,
    Range,
)
from harness.remedy.settings import (
    ADVERSARIES,
    DEFAULT_COPIES,
    DEFAULT_PROB,
    RemedyRequest,
)
from harness.scale import (
    ATTENTIONS,
    QUANTIZABLE_METHODS,
    QUANTIZED_BASES,
    BackboneSettings,
)
from harness.spec import RANGES, flag
from harness.track import DEFAULT_LOG_DIR, TRACKERS, TrackerRequest, tracker_request
from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES

# where commands read from and write to
data_dir = click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), envvar="HARNESS_DATA_DIR",
                        help="Folder with the benchmark files (layouts in harness/tasks/builtin/README.md). "
                             "Env: HARNESS_DATA_DIR.")
tasks_dirs = click.option("--tasks-dir", "tasks_dirs", multiple=True, type=click.Path(path_type=Path),
                          help="Extra folder of task YAML files (repeatable). Env: HARNESS_TASKS_PATH.")


views_dirs = click.option("--views-dir", "views_dirs", multiple=True, type=click.Path(path_type=Path),
                          help="Extra folder of leaderboard views (repeatable). Env: HARNESS_LEADERBOARDS_PATH.")
perturb = click.option("--perturb", help="Also evaluate on perturbed copies: 'all' or NAME[:SEVERITY],... "
                                          "(see `harness perturb --list`).")
perturb_modules = click.option("--perturb-module", "perturb_modules", multiple=True,
                               help="Import a module of your own perturbations first (repeatable).")

# how commands run
device = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
in_process = click.option("--in-process", is_flag=True,
                          help="Run every run in this process instead of a fresh one each (CPU peak memory then "
                               "mixes runs).")
quiet = click.option("--quiet", is_flag=True, help="No progress bars.")
n_boot = click.option("--n-boot", type=ranged(N_BOOT), default=1000, show_default=True, help="Bootstrap resamples.")
alpha = click.option("--alpha", type=ranged(ALPHA), default=0.05, show_default=True,
                     help="Significance level: a difference counts when the paired bootstrap's p is below it.")
seed = click.option("--seed", type=ranged(SEED), default=0, show_default=True)

checkpoint_every = click.option("--checkpoint-every", type=ranged(Range(int, 0, 10**9, meaning="optimiser updates")),
                                default=0, show_default=True,
                                help="Checkpoint training every N optimiser updates (0: only by time).")
checkpoint_minutes = click.option("--checkpoint-minutes", type=ranged(Range(float, 0, 10**6, meaning="minutes")),
                                  default=DEFAULT_CHECKPOINT_MINUTES, show_default=True,
                                  help="Checkpoint training at most this many minutes apart (0: only by count).")

# A run's numeric settings (harness/spec.py declares their ranges), shared by `run`, `sweep` and `compare`.
_SETTINGS_HELP = {
    "epochs": "Maximum epochs (early stopping may end sooner).",
    "lr": "Peak learning rate (default depends on the method).",
    "batch_size": "Examples per optimisation step, per device.",
    "grad_accum": "Batches accumulated per optimisation step.",
    "warmup_ratio": "Share of steps spent warming the learning rate up.",
    "weight_decay": "AdamW weight decay.",
    "patience": "Epochs without improvement on the selection split before stopping.",
    "train_limit": "Train on a seeded sample of this many examples.",
    "eval_limit": "Evaluate on a fixed sample of this many examples per split.",
    "max_length": "Token budget per example (default from the task).",
    "fold": "Train and select on the task's fixed few-shot fold K (FewCLUE: 0-4).",
    "init_seed": "Seed of the initial weights (head, method) and of the training sample, so that runs with "
                 "different --seed share them and differ only in batch order and dropout (members of a weight "
                 "soup: `harness merge`).",
}
TRAINING_SETTINGS = ("epochs", "lr", "batch_size", "grad_accum", "warmup_ratio", "weight_decay", "patience")


def run_settings(command):
    """Decorator: one flag per numeric run setting, each checked against its declared range."""
    for name in reversed(_SETTINGS_HELP):
        command = click.option(flag(name), name, type=ranged(RANGES[name]), help=_SETTINGS_HELP[name])(command)
    return command


def distill_options(command):
    """Decorator: a student taught by a recorded run, and a student cut down to fewer layers (harness.distill)."""
    flags = [
        click.option("--student-layers", type=ranged(settings.STUDENT_LAYERS),
                     help="Keep N of the model's transformer layers, every k-th from the first (DistilBERT's "
                          "initialisation): a smaller student of any model."),
        click.option("--distill-from", "distill_from", metavar="RUN_ID",
                     help="Teach this run with a recorded run, merge or output ensemble (their saved models): "
                          "alpha x gold loss + (1 - alpha) x T^2 x KL to the teacher."),
        click.option("--distill-alpha", type=ranged(settings.ALPHA),
                     help=f"Share of the loss on gold labels (default {settings.DEFAULT_ALPHA})."),
        click.option("--distill-temperature", type=ranged(settings.TEMPERATURE),
                     help=f"Softening temperature T (default {settings.DEFAULT_TEMPERATURE}; not for regression)."),
        click.option("--distill-unlabeled", metavar="SPLIT_OR_FILE",
                     help="Transfer examples only the teacher labels: a split of the task (what the run does not "
                          "train, select or report on) or a JSON-lines file of inputs."),
        click.option("--distill-unlabeled-limit", type=ranged(settings.UNLABELED_LIMIT),
                     help="Use a seeded sample of this many transfer examples."),
        click.option("--distill-hidden", metavar="auto|S:T,...",
                     help="Also pull the student's hidden state after layer S towards the teacher's after layer T "
                          "(1-based; auto: evenly spaced), through a learnt projection when widths differ. The "
                          "teacher must share the student's tokenizer."),
    ]
    for option in reversed(flags):
        command = option(command)
    return command


def distill_request(values: dict) -> DistillRequest:
    """The distillation flags' values (popped from a command's keyword arguments) as one request."""
    return DistillRequest(teacher=values.pop("distill_from"), alpha=values.pop("distill_alpha"),
                          temperature=values.pop("distill_temperature"), unlabeled=values.pop("distill_unlabeled"),
                          unlabeled_limit=values.pop("distill_unlabeled_limit"), hidden=values.pop("distill_hidden"))


def remedy_options(command):
    """Decorator: training for robustness, by augmentation and by adversarial training (harness.remedy)."""
    flags = [
        click.option("--augment", metavar="NAME[:SEVERITY],...|FAMILY|all",
                     help="Train on perturbed copies of the training examples, drawn anew each epoch: perturbation "
                          "names, a family (typos, case, wording, word_edits, ...) or all (`harness perturb --list`)."),
        click.option("--augment-prob", type=ranged(AUGMENT_PROB),
                     help=f"Share of training examples perturbed each epoch (default {DEFAULT_PROB})."),
        click.option("--augment-copies", type=ranged(AUGMENT_COPIES),
                     help=f"Extra perturbed copies of every training example per epoch (default {DEFAULT_COPIES})."),
        click.option("--augment-file", metavar="PATH",
                     help='Paraphrases to augment with (back-translation, ...): JSON lines {"id": ..., "text": ...} '
                          "keyed by training example id."),
        click.option("--adversarial", type=click.Choice(list(ADVERSARIES)),
                     help="Adversarial training on the input embeddings: fgm (one step), pgd (steps in a ball) or "
                          "freelb (the mean gradient over the ascent)."),
        click.option("--adv-epsilon", type=ranged(ADV_EPSILON),
                     help="Largest L2 norm of an example's embedding perturbation (default 1.0)."),
        click.option("--adv-steps", type=ranged(ADV_STEPS), help="Ascent steps per batch, pgd and freelb (default 3)."),
        click.option("--adv-alpha", type=ranged(ADV_ALPHA), help="L2 norm of one ascent step, pgd and freelb "
                                                                 "(default 0.3)."),
    ]
    for option in reversed(flags):
        command = option(command)
    return command


def attack_options(command):
    """Decorator: adversarial attacks in evaluation (harness.attack)."""
    flags = [
        click.option("--attack", metavar="NAME[,NAME]",
                     help="Also attack each evaluation example: search for the edit that flips the model (word, char, "
                          "zh_char, ner; `harness attacks` lists them)."),
        click.option("--attack-budget", type=ranged(ATTACK_BUDGET),
                     help=f"Model queries per attacked example (default {DEFAULT_BUDGET})."),
        click.option("--attack-max-share", type=ranged(ATTACK_MAX_SHARE),
                     help=f"Largest share of an example's words (characters) an attack changes "
                          f"(default {DEFAULT_MAX_SHARE})."),
    ]
    for option in reversed(flags):
        command = option(command)
    return command


def spread_options(command):
    """Decorator: the spread of a prompted score over prompts, formats and demonstration draws."""
    flags = [
        click.option("--prompts", metavar="all|NAME[,NAME]",
                     help="Score several of the task's prompts (zero/few-shot) and record their spread; the first "
                          "(or --prompt) stays the run's headline."),
        click.option("--prompt-formats", type=ranged(PROMPT_FORMATS),
                     help="Formats of each prompt: as written plus N-1 seeded variants of separators, field names, "
                          "answer cue and label words (default 1)."),
        click.option("--demo-draws", type=ranged(DEMO_DRAWS),
                     help="Few-shot: distinct seeded draws of the demonstrations (default 1)."),
    ]
    for option in reversed(flags):
        command = option(command)
    return command


def spread_request(values: dict) -> SpreadRequest:
    """The spread flags' values (popped from a command's keyword arguments) as one request."""
    return SpreadRequest(prompts=values.pop("prompts"), formats=values.pop("prompt_formats"),
                         demo_draws=values.pop("demo_draws"))


def attack_request(values: dict) -> AttackRequest:
    """The attack flags' values (popped from a command's keyword arguments) as one request."""
    return AttackRequest(attack=values.pop("attack"), budget=values.pop("attack_budget"),
                         max_share=values.pop("attack_max_share"))


def remedy_request(values: dict) -> RemedyRequest:
    """The remedy flags' values (popped from a command's keyword arguments) as one request."""
    return RemedyRequest(**{name: values.pop(name) for name in (
        "augment", "augment_prob", "augment_copies", "augment_file", "adversarial", "adv_epsilon", "adv_steps",
        "adv_alpha")})


def tracker_options(command):
    """Decorator: experiment trackers every run logs to (harness.track)."""
    flags = [
        click.option("--log-with", "log_with", multiple=True, metavar="|".join(TRACKERS),
                     help="Also log each run to these experiment trackers (repeatable or comma-separated): the spec, "
                          "per-step loss and learning rate, per-epoch selection score, final metrics with intervals, "
                          "the record as an artifact. Extras: pip install 'harness[trackers]'."),
        click.option("--log-dir", "log_dir", type=click.Path(path_type=Path), envvar="HARNESS_LOG_DIR",
                     help=f"Where trackers write offline: TensorBoard events, the MLflow file store (unless "
                          f"MLFLOW_TRACKING_URI is set), W&B runs (WANDB_MODE=offline for offline runs). Default "
                          f"./{DEFAULT_LOG_DIR}. Env: HARNESS_LOG_DIR."),
    ]
    for option in reversed(flags):
        command = option(command)
    return command


def tracker_request_from(values: dict) -> TrackerRequest | None:
    """The tracker flags' values (popped from a command's keyword arguments) as a checked request."""
    return tracker_request(values.pop("log_with"), values.pop("log_dir"))


def backbone_options(command):
    """Decorator: how the backbone of a large model is held and run (harness.scale)."""
    flags = [
        click.option("--quantize-base", type=click.Choice(QUANTIZED_BASES),
                     help=f"Hold the frozen base in 4-bit NF4 (QLoRA: double quantization, bf16 compute) or 8-bit "
                          f"(LLM.int8()) with {', '.join(QUANTIZABLE_METHODS)}. CUDA only; pip install "
                          "'harness[qlora]'."),
        click.option("--gradient-checkpointing", is_flag=True, default=None,
                     help="Recompute each layer's activations in the backward pass instead of keeping them: less "
                          "memory, about a third more compute."),
        click.option("--attention", type=click.Choice(ATTENTIONS),
                     help="Attention kernel (default: transformers' choice, sdpa where the model has it); "
                          "flash_attention_2 needs CUDA and the flash-attn package."),
    ]
    for option in reversed(flags):
        command = option(command)
    return command


def backbone_request(values: dict) -> BackboneSettings:
    """The backbone flags' values (popped from a command's keyword arguments) as one settings object."""
    return BackboneSettings(quantize_base=values.pop("quantize_base"),
                            gradient_checkpointing=bool(values.pop("gradient_checkpointing")),
                            attention=values.pop("attention"))
