"""A sweep grid: models x methods x tasks x seeds, from flags or a YAML file, planned before anything runs.

Sweep file (every key optional except models/methods/tasks; flags override the file):

    models: [minilm]
    methods: [full, lora, {name: lora, options: {r: 16}, training: {lr: 1e-3}}]
    tasks: [sst2, conll2003]
    seeds: 3            # a count (0, 1, 2) or a list [0, 5]
    train_limit: 2000
    eval_limit: 500
    max_length: 128
    perturb: all        # also evaluate on perturbed copies (as `harness run --perturb`)
    training: {epochs: 3}   # for every method (a method entry's own `training` wins)
    student_layers: 3   # every model cut to 3 of its layers (as `harness run --student-layers`)
    distill: {from: RUN_ID, alpha: 0.5, temperature: 2, unlabeled: train, unlabeled_limit: 20000}
    remedy: {augment: typos, augment_prob: 0.5, adversarial: fgm, adv_epsilon: 1.0}   # as the run flags
    remedies: none,augment:typos,fgm    # or a dimension of remedies (as --remedies; perturb defaults to all)
    attack: word,char   # also attack every evaluation example (as --attack), with attack_budget, attack_max_share
    prompts: all        # zero/few-shot over several prompts (as --prompts), with prompt_formats, demo_draws
    quantize_base: 4bit # the backbone (as --quantize-base), with gradient_checkpointing: true and attention: sdpa
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.distill.settings import DistillRequest
from harness.errors import HarnessError
from harness.ranges import SEED, Range
from harness.remedy.settings import RemedyRequest, describe
from harness.scale.settings import BackboneSettings
from harness.spec import RunSpec
from harness.tasks import TaskDef
from harness.yaml_file import YamlFile, read_mapping

FILE_KEYS = {"models", "methods", "tasks", "seeds", "train_limit", "eval_limit", "max_length", "pooling", "fold",
             "init_seed", "perturb", "training", "student_layers", "distill", "remedy", "remedies", "attack",
             "attack_budget", "attack_max_share", "prompts", "prompt_formats", "demo_draws", "quantize_base",
             "gradient_checkpointing", "attention"}
# AttackRequest field -> sweep file key
ATTACK_FILE_KEYS = {"attack": "attack", "budget": "attack_budget", "max_share": "attack_max_share"}
# SpreadRequest field -> sweep file key
SPREAD_FILE_KEYS = {"prompts": "prompts", "formats": "prompt_formats", "demo_draws": "demo_draws"}
DISTILL_KEYS = {"from": "teacher", "alpha": "alpha", "temperature": "temperature", "unlabeled": "unlabeled",
                "unlabeled_limit": "unlabeled_limit", "hidden": "hidden"}
METHOD_KEYS = {"name", "options", "training"}
SWEEP_FILE = YamlFile(
    name="sweep file {path}",
    holds="a mapping with models, methods, tasks, seeds",
    if_unreadable="pass an existing sweep file with --file",
    if_invalid="fix the syntax there (`harness sweep --file FILE --dry-run` checks it)",
)


@dataclass(frozen=True)
class MethodEntry:
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)


@dataclass
class Grid:
    models: list[str]
    methods: list[MethodEntry]
    tasks: list[str]
    seeds: list[int]
    training: dict[str, Any] = field(default_factory=dict)
    run_settings: dict[str, Any] = field(default_factory=dict)  # train_limit, eval_limit, max_length, pooling, fold, perturb
    remedies: list[RemedyRequest] = field(default_factory=list)  # a dimension of its own (`--remedies`); [] none asked

    @property
    def size(self) -> int:
        return len(self.models) * len(self.methods) * len(self.tasks) * len(self.seeds) * max(len(self.remedies), 1)


SEED_COUNT = Range(int, 1, 1000, meaning="a count of seeds, 3 meaning seeds 0, 1, 2; or a list such as 0,5")


def parse_seeds(value: Any, where: str = "--seeds") -> list[int]:
    """'3' or 3 -> [0, 1, 2] (a count); '0,5' or [0, 5] -> [0, 5] (a list). Every seed within SEED's range."""
    if isinstance(value, (list, tuple)) or (isinstance(value, str) and "," in value):
        items = value if isinstance(value, (list, tuple)) else [v for v in value.split(",") if v.strip()]
        if len(items) > SEED_COUNT.high:
            raise HarnessError(f"{where}: {len(items)} seeds listed; at most {SEED_COUNT.high:g} in one grid")
        seeds = [SEED.check(f"{where} item", item) for item in items]
    elif isinstance(value, bool) or value is None:
        raise HarnessError(f"{where} {value!r}: expected a count (3 means seeds 0, 1, 2) or a list (0,5)")
    else:
        seeds = list(range(SEED_COUNT.check(where, value)))
    if len(set(seeds)) != len(seeds) or not seeds:
        raise HarnessError(f"{where} {value!r}: seeds must be distinct and at least one")
    return seeds


def split_names(value: Any) -> list[str]:
    """'a,b' or ['a', 'b'] -> ['a', 'b']."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def method_entry(value: Any, where: str) -> MethodEntry:
    if isinstance(value, str):
        return MethodEntry(value)
    if not isinstance(value, dict) or "name" not in value:
        raise HarnessError(f"{where}: a method is a name or a mapping with 'name' (and 'options', 'training'); "
                           f"got {value!r}")
    unknown = sorted(set(value) - METHOD_KEYS)
    if unknown:
        raise HarnessError(f"{where}: unknown key {', '.join(unknown)} (valid: {', '.join(sorted(METHOD_KEYS))})")
    for key in ("options", "training"):
        if not isinstance(value.get(key, {}), dict):
            raise HarnessError(f"{where}.{key}: expected a mapping, got {value[key]!r}")
    return MethodEntry(str(value["name"]), dict(value.get("options") or {}), dict(value.get("training") or {}))


def read_sweep_file(path: Path) -> dict[str, Any]:
    """The file's settings, shape-checked; names are checked when the grid is planned."""
    content = read_mapping(path, SWEEP_FILE)
    unknown = sorted(set(content) - FILE_KEYS)
    if unknown:
        raise HarnessError(f"sweep file {path}: unknown key {', '.join(unknown)} (valid: {', '.join(sorted(FILE_KEYS))})")
    if "methods" in content:
        if not isinstance(content["methods"], list):
            raise HarnessError(f"sweep file {path}: methods must be a list, e.g. methods: [full, lora]")
        content["methods"] = [method_entry(m, f"sweep file {path}: methods[{i}]")
                              for i, m in enumerate(content["methods"])]
    if "training" in content and not isinstance(content["training"], dict):
        raise HarnessError(f"sweep file {path}: training must be a mapping of training options")
    if "distill" in content:
        content["distill"] = _distill_request(content["distill"], path)
    if "remedy" in content:
        content["remedy"] = _remedy_request(content["remedy"], path)
    if not isinstance(content.get("gradient_checkpointing", False), bool):
        raise HarnessError(f"sweep file {path}: gradient_checkpointing must be true or false, not "
                           f"{content['gradient_checkpointing']!r}")
    return content


def _remedy_request(value: Any, path: Path) -> RemedyRequest:
    """The file's `remedy` mapping as a request (checked when the runs are planned)."""
    keys = list(RemedyRequest.__dataclass_fields__)
    if not isinstance(value, dict):
        raise HarnessError(f"sweep file {path}: remedy must be a mapping, e.g. remedy: {{augment: typos}} or "
                           "remedy: {adversarial: fgm, adv_epsilon: 1.0}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise HarnessError(f"sweep file {path}: remedy has unknown key {', '.join(unknown)} (valid: {', '.join(keys)})")
    return RemedyRequest(**value)


def _distill_request(value: Any, path: Path) -> DistillRequest:
    """The file's `distill` mapping as a request (its numbers are checked when the runs are planned)."""
    if not isinstance(value, dict) or "from" not in value:
        raise HarnessError(f"sweep file {path}: distill must be a mapping with 'from' (the teacher's run id), e.g. "
                           "distill: {from: 86f40285, alpha: 0.5}")
    unknown = sorted(set(value) - set(DISTILL_KEYS))
    if unknown:
        raise HarnessError(f"sweep file {path}: distill has unknown key {', '.join(unknown)} "
                           f"(valid: {', '.join(DISTILL_KEYS)})")
    return DistillRequest(**{DISTILL_KEYS[k]: (None if v is None else str(v) if k in ("from", "unlabeled", "hidden") else v)
                             for k, v in value.items()})


@dataclass
class PlannedRun:
    spec: RunSpec
    task: TaskDef
    label: str  # where it came from, for messages: "minilm · lora · sst2 · seed 1"


def plan_grid(grid: Grid, tasks_dirs: list[Path] | None = None, *, results: Path | str = "results",
              data_dir: Path | None = None) -> list[PlannedRun]:
    """Every run of the grid planned; all problems reported at once, each naming its entry. A distilling grid's
    teacher is looked up in `results` and checked against the files in `data_dir`."""
    from harness.models.load import check_backbone_support
    from harness.models.sources import check_model
    from harness.pipeline import (
        plan,  # the pipeline imports heavy libraries: only when planning
    )
    from harness.tasks import load_task

    planned: list[PlannedRun] = []
    problems: dict[str, str] = {}  # error -> the first entry that raised it
    backbone = grid.run_settings.get("backbone") or BackboneSettings()
    for model in grid.models:  # cheap: no weights are loaded or converted
        try:
            check_model(model)
            check_backbone_support(model, backbone)  # its config alone
        except HarnessError as exc:
            problems.setdefault(str(exc), f"model {model}")
    tasks: dict[str, TaskDef] = {}  # each task read once, not once per run
    for task in grid.tasks:
        try:
            tasks[task] = load_task(task, tasks_dirs)
        except HarnessError as exc:
            problems.setdefault(str(exc), f"task {task}")
    for model in grid.models:
        for index, entry in enumerate(grid.methods):
            for task in [task for task in grid.tasks if task in tasks]:
                for remedy in grid.remedies or [None]:
                    settings = {**grid.run_settings, **({"remedy": remedy} if remedy is not None else {})}
                    for seed in grid.seeds:
                        label = f"{model} · {entry.name} · {task} · seed {seed}"
                        try:
                            spec, task_def = plan(model, entry.name, tasks[task], seed=seed,
                                                  training={**grid.training, **entry.training},
                                                  method_options=entry.options, tasks_dirs=tasks_dirs,
                                                  results=results, data_dir=data_dir, **settings)
                        except HarnessError as exc:
                            problems.setdefault(str(exc), f"methods[{index}] {entry.name}, task {task}")
                            continue
                        if spec.remedy or grid.remedies:
                            label += f" · {describe(spec.remedy)}"
                        planned.append(PlannedRun(spec, task_def, label))
    if problems:
        problems = [f"{where}: {error}" for error, where in problems.items()]
        raise HarnessError(f"the sweep has {len(problems)} bad entr{'y' if len(problems) == 1 else 'ies'}, "
                           f"nothing ran: {' | '.join(problems)}")
    duplicates = len(planned) - len({(p.spec.run_id(p.task.hash)) for p in planned})
    if duplicates:
        raise HarnessError(f"the sweep lists {duplicates} run(s) twice (same model, method, options, task and seed); "
                           "remove the repeated entries")
    return planned


def check_data(planned: list[PlannedRun], data_dir: Path | None) -> None:
    """Every data file the planned runs read is there; else one error listing all that are missing,
    before the first run starts rather than when its turn comes."""
    from harness.tasks.loaders import HOW_TO_POINT, missing_local_files
    from harness.tasks.sampling import needed_splits

    missing: list[str] = []
    for task, fold in dict.fromkeys((run.task, run.spec.fold) for run in planned):
        missing += [m for m in missing_local_files(task, needed_splits(task, fold), data_dir) if m not in missing]
    if missing:
        raise HarnessError(f"the sweep needs {len(missing)} data file(s) that are not there, nothing ran: "
                           f"{' | '.join(missing)}; {HOW_TO_POINT}, or drop those tasks")

