"""The stages of a zero/few-shot run between its data and its evaluation: load the pretrained model, fix the prompt.

    ready = prompted(spec, task, data, source, run_id=..., device=None, show_progress=True)
    with ready.scoring() as predictor: ...        # prompts scored choice by choice, nothing trained

`run_prompted` is the same evaluation without a run around it (benchmarks/lmeval_parity.py times it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from accelerate.utils import set_seed

from harness.device import resolve_device
from harness.evaluation import Evaluated, evaluate_splits
from harness.models.onednn import onednn_linears
from harness.models.sources import ModelSource
from harness.pipeline.log import log
from harness.pipeline.ready import ReadyModel
from harness.pipeline.record import PromptedFacts, prompting_section
from harness.prompt_spread.predictor import SpreadPredictor
from harness.prompt_spread.variants import plan_variants
from harness.prompting.model import PromptModel, load_prompt_model
from harness.prompting.predictor import PromptPredictor, prompt_for
from harness.prompting.progress import ScoringProgress
from harness.spec import RunSpec
from harness.tasks import TaskData, TaskDef
from harness.track import RunTracking


def prompted(spec: RunSpec, task: TaskDef, data: TaskData, source: ModelSource, *, run_id: str,
             device: str | None = None, show_progress: bool = True, tracking: RunTracking | None = None,
             **_: Any) -> ReadyModel:
    set_seed(spec.seed)
    prompt = prompt_for(task, spec.method_options)  # an unknown prompt name fails before the model loads
    target = resolve_device(device)
    loaded = load_prompt_model(source.path, spec.method_options["scorer"], target, attention=spec.attention)
    if tracking is not None:  # nothing trains, so no Accelerator: the trackers start by themselves
        tracking.start()
    if show_progress:
        log(f"[bold]{task.name}[/]: prompt '{prompt.name}' ({prompt.hash}), {spec.method_options.get('k', 0)} "
            f"demonstrations · [bold]{spec.model}[/] ({source.origin}, {loaded.scorer} scoring) · run {run_id}")
    facts = PromptedFacts(loaded)
    return ReadyModel(scoring=lambda: _scoring(task, data, loaded, spec.method_options, spec.seed, facts, show_progress,
                                               spec.prompt_spread),
                      facts=facts, device=target)


@contextmanager
def _scoring(task: TaskDef, data: TaskData, loaded: PromptModel, options: dict[str, Any], seed: int,
             facts: PromptedFacts, show_progress: bool, spread: dict[str, Any] | None = None
             ) -> Iterator[PromptPredictor | SpreadPredictor]:
    """The predictor, with float32 linear layers swapped for oneDNN's while it scores (the calibration prior too);
    with a `spread` entry, one that scores every prompt variant (harness.prompt_spread)."""
    with ScoringProgress(show_progress) as progress, onednn_linears(loaded.model) as swapped:
        facts.linear_layers = "onednn" if swapped else "pytorch"
        predictor = PromptPredictor(task, data.train, data.evaluation, loaded, options, seed, progress)
        if spread:
            variants = plan_variants(task, spread, data.train, k=options.get("k", 0),
                                     balanced=options.get("balanced", False), seed=seed)
            predictor = SpreadPredictor(predictor, variants, spread)
        facts.predictor = predictor
        yield facts.predictor


def run_prompted(task: TaskDef, data: TaskData, loaded: PromptModel, options: dict[str, Any], seed: int
                 ) -> tuple[Evaluated, dict[str, Any]]:
    """Every evaluation split prompted and scored: (the evaluation, the record's `prompting` section)."""
    facts = PromptedFacts(loaded)
    with _scoring(task, data, loaded, options, seed, facts, show_progress=False) as predictor:
        evaluated = evaluate_splits(task, data.evaluation, predictor, seed=seed)
    return evaluated, prompting_section(facts, evaluated, data)
