"""lm-evaluation-harness as a reference: score the same examples with the same prompt through it.

Used by benchmarks/lmeval_parity.py and the parity test. The task is handed to lm-eval as
a generated task YAML over a JSON-lines file of the harness's own examples, so both see
exactly the same texts; lm-eval (`pip install lm-eval`) is imported only here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.errors import HarnessError
from harness.tasks import Example
from harness.tasks.prompts import Prompt, template_fields


@dataclass
class ReferenceResult:
    loglikelihoods: list[list[float]]  # per example (input order) and choice
    accuracy: float
    seconds: float  # simple_evaluate's wall time, model already loaded


def _doc(example: Example, label_names: list[str] | None) -> dict:
    return {**template_fields(example, label_names), "harness_label": example.label}


def write_lmeval_task(folder: Path, name: str, prompt: Prompt, examples: list[Example],
                      label_names: list[str] | None = None, demonstrations: list[Example] = ()) -> None:
    """A task YAML and its data file for lm-eval: multiple choice, after the given demonstrations in order."""
    data = folder / f"{name}.jsonl"
    with data.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(json.dumps(_doc(example, label_names), ensure_ascii=False, default=str) + "\n")
    task = {
        "task": name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"validation": str(data)}},
        "validation_split": "validation",
        "output_type": "multiple_choice",
        "doc_to_text": prompt.template,
        "doc_to_choice": list(prompt.choices),
        "doc_to_target": "{{harness_label}}",
        "target_delimiter": prompt.target_delimiter,
        "fewshot_delimiter": prompt.demo_separator,
        "description": prompt.instruction,
        "metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}],
    }
    if demonstrations:  # lm-eval's first_n sampler keeps the harness's draw and its order
        task["num_fewshot"] = len(demonstrations)
        task["fewshot_config"] = {"sampler": "first_n", "samples": json.loads(json.dumps(
            [_doc(demo, label_names) for demo in demonstrations], ensure_ascii=False, default=str))}
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(task, allow_unicode=True), encoding="utf-8")


def lmeval_loglikelihoods(model, tokenizer, prompt: Prompt, examples: list[Example], *, batch_size: int | str,
                          workdir: Path, label_names: list[str] | None = None,
                          demonstrations: list[Example] = ()) -> ReferenceResult:
    """Every example's choice log-likelihoods as lm-eval computes them, with a loaded model."""
    try:
        from lm_eval import simple_evaluate
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise HarnessError("lm-evaluation-harness is not installed: pip install lm-eval==0.4.13") from None
    name = "harness_reference"
    workdir.mkdir(parents=True, exist_ok=True)
    write_lmeval_task(workdir, name, prompt, examples, label_names, demonstrations)
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    started = time.perf_counter()
    output = simple_evaluate(model=lm, tasks=[name], task_manager=TaskManager(include_path=str(workdir)),
                             num_fewshot=len(demonstrations) or None, log_samples=True, verbosity="ERROR")
    seconds = time.perf_counter() - started
    samples = sorted(output["samples"][name], key=lambda sample: sample["doc_id"])
    values = [[float(response[0]) for response in sample["filtered_resps"]] for sample in samples]
    return ReferenceResult(loglikelihoods=values, accuracy=float(output["results"][name]["acc,none"]),
                           seconds=seconds)
