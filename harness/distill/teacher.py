"""The teacher: a recorded run, merge or output ensemble whose saved models label the student's training examples.

    teacher = find_teacher(store, "86f40285", task, data_dir)   # checked: same task, labels and data files
    outputs = teacher_outputs(teacher, store, task, examples, data_dir=None, device=None)

An output is a log-probability per class (per word for NER; an ensemble's is the log of its
members' weighted mean probability) or a value (regression). Outputs are cached per teacher
and example id (harness.distill.cache), so a second epoch, student or run does not compute them again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.distill.cache import TeacherCache
from harness.encode import collate, encode
from harness.errors import HarnessError
from harness.record.rerun import rerun_command
from harness.record.saved_model import SavedRun, open_saved_run, saved_model_folder
from harness.record.store import ResultStore
from harness.tasks import Example, TaskDef, kinds
from harness.tasks.fingerprint import check_same_data


@dataclass
class Teacher:
    record: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.record["run_id"]

    @property
    def kind(self) -> str:
        return (self.record.get("fusion") or {}).get("kind") or "run"

    @property
    def members(self) -> list[str]:
        """The runs whose saved models give the outputs: an ensemble's members, else the teacher itself."""
        if self.kind == "ensemble":
            return [m["run_id"] for m in self.record["fusion"]["members"]]
        return [self.run_id]

    def facts(self) -> dict[str, Any]:
        """What a student's record keeps of its teacher."""
        spec = self.record["spec"]
        return {"teacher": self.run_id, "teacher_kind": self.kind, "teacher_model": spec["model"],
                "teacher_method": spec["method"], "teacher_parameters": (self.record.get("model") or {}).get("parameters"),
                "teacher_headline": self.record["headline"],
                "teacher_scores": {split: section["values"] for split, section in self.record["metrics"].items()},
                "teacher_file_sha256": (self.record.get("data") or {}).get("file_sha256")}


def find_teacher(store: ResultStore, run_id: str, task: TaskDef, data_dir: Path | None) -> Teacher:
    """The teacher's record, checked to teach this task: HarnessError (one line) on anything that does not fit."""
    where = f"--distill-from {run_id}"
    try:
        path = store.find_one(run_id)
    except HarnessError as exc:
        raise HarnessError(f"{where}: {exc}") from None
    record = store.load(path.parent.name, path.stem)
    name = record["task"]["name"]
    if name != task.name:
        raise HarnessError(f"{where}: the teacher was trained on task {name}, the student's task is {task.name}; "
                           f"distil from a run of {task.name}")
    if list(record["task"].get("labels") or []) != list(task.labels):
        raise HarnessError(f"{where}: the teacher's labels ({', '.join(record['task']['labels'])}) are not the "
                           f"task's ({', '.join(task.labels)}); distil from a run of this version of {task.name}")
    if "prompting" in record:
        raise HarnessError(f"{where}: the teacher is a prompted run, and distilling from prompting is not supported; "
                           "distil from a fine-tuned run, a merge or an ensemble")
    teacher = Teacher(record)
    for member in teacher.members:
        member_record = record if member == teacher.run_id else _member_record(store, member, where)
        try:
            check_same_data(member_record, task, data_dir)
        except HarnessError as exc:
            raise HarnessError(f"{where}: {exc}") from None
        _check_saved(store, member_record, where)
    return teacher


def _member_record(store: ResultStore, run_id: str, where: str) -> dict[str, Any]:
    try:
        path = store.find_one(run_id)
    except HarnessError as exc:
        raise HarnessError(f"{where}: the ensemble's member {run_id} cannot be read ({exc})") from None
    return store.load(path.parent.name, path.stem)


def _check_saved(store: ResultStore, record: dict[str, Any], where: str) -> None:
    if not record.get("artifact"):
        what = "the teacher" if "fusion" not in record else f"member {record['run_id']}"
        raise HarnessError(f"{where}: {what} has no saved model; rerun it with "
                           f"`{rerun_command(record['spec'], '--save-model --force')}`")
    try:
        saved_model_folder(store, record)
    except HarnessError as exc:
        raise HarnessError(f"{where}: {exc}") from None


@dataclass
class TeacherOutputs:
    outputs: dict[str, torch.Tensor]  # example id -> log-probabilities (classes, or words x tags) or a value
    seconds: float  # spent computing the outputs the cache did not hold
    computed: int
    cached: int


def teacher_outputs(teacher: Teacher, store: ResultStore, task: TaskDef, examples: Sequence[Example], *,
                    data_dir: Path | None, device: str | None) -> TeacherOutputs:
    """The teacher's output on every example, from its cache where it has them, computed (and cached) otherwise."""
    cache = TeacherCache(store.root / task.name / f"{teacher.run_id}.teacher-outputs.pt", teacher.record)
    missing = [e for e in examples if cache.get(e.id) is None]
    start = time.perf_counter()
    if missing:
        cache.add(_compute(teacher, store, task, missing, data_dir, device))
        cache.save()
    seconds = time.perf_counter() - start if missing else 0.0
    return TeacherOutputs({e.id: cache.get(e.id) for e in examples}, seconds, len(missing),
                          len(examples) - len(missing))


def _compute(teacher: Teacher, store: ResultStore, task: TaskDef, examples: Sequence[Example],
             data_dir: Path | None, device: str | None) -> dict[str, torch.Tensor]:
    """Outputs of the teacher (an ensemble: the weighted mean of its members' probabilities)."""
    members = teacher.members
    weights = (teacher.record.get("fusion") or {}).get("weights") or [1.0] * len(members)
    total = sum(weights)
    combined: list[torch.Tensor] | None = None
    for member, weight in zip(members, weights):
        record = teacher.record if member == teacher.run_id else store.load(task.name, member)
        saved = open_saved_run(store, record, task, data_dir=data_dir, device=device, missing="")
        outputs = member_outputs(saved, examples)
        if task.kind != kinds.REGRESSION:
            outputs = [o.exp() for o in outputs]  # averaged as probabilities
        share = weight / total
        combined = [share * o for o in outputs] if combined is None else \
            [c + share * o for c, o in zip(combined, outputs)]
        del saved
    if task.kind != kinds.REGRESSION:
        combined = [c.clamp(min=1e-12).log() for c in combined]
    return {e.id: c for e, c in zip(examples, combined)}


def member_outputs(saved: SavedRun, examples: Sequence[Example]) -> list[torch.Tensor]:
    """One saved model's outputs, batched by length: log-probabilities per class (per word for NER: a word past
    the model's max_length gets NaN, so the student learns nothing from the teacher there) or the value."""
    task, model = saved.task, saved.model
    features = encode(examples, saved.tokenizer, task.kind, saved.spec["max_length"], saved.is_decoder,
                      task.word_separator)
    order = sorted(range(len(features)), key=lambda i: len(features[i]), reverse=True)
    outputs: list[torch.Tensor | None] = [None] * len(features)
    batch_size = max(64, saved.spec["training"]["batch_size"])
    model.eval()
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            rows = order[begin: begin + batch_size]
            batch = collate([features[i] for i in rows], saved.tokenizer.pad_token_id, task.kind)
            batch.pop("labels", None)
            logits = model(**{k: v.to(saved.device) for k, v in batch.items()}).logits.float().cpu()
            for j, i in enumerate(rows):
                outputs[i] = _one(logits[j], features[i].word_starts, task.kind)
    return outputs


def _one(logits: torch.Tensor, word_starts: list[int], kind: str) -> torch.Tensor:
    if kind == kinds.REGRESSION:
        return logits[0].clone()
    log_probs = logits.log_softmax(dim=-1)
    if kind != kinds.TOKEN_CLASSIFICATION:
        return log_probs.clone()
    words = torch.full((len(word_starts), log_probs.shape[-1]), math.nan)
    for word, position in enumerate(word_starts):
        if position >= 0:
            words[word] = log_probs[position]
    return words
