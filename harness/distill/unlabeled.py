"""Transfer data: examples only the teacher labels (--distill-unlabeled SPLIT_OR_FILE).

A split of the task gives its examples the run does not already train, select or report on
(SST-2's `train` gives the rest of its training set); a file gives JSON lines with the task's
input fields (`text`, and `text_pair` for pairs; `words` for NER) and an optional `id`. Their
labels are dropped: only the teacher's outputs teach from them.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from pathlib import Path

from harness.encode import IGNORE
from harness.errors import HarnessError
from harness.tasks import Example, TaskData, TaskDef, kinds
from harness.tasks.loaders import load_split
from harness.tasks.sampling import sample_in_order


def is_file_source(source: str, task: TaskDef) -> bool:
    return source not in task.splits


def file_fingerprint(path: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise HarnessError(f"--distill-unlabeled {path}: neither a split of the task nor a file; name a split or an "
                           "existing JSON-lines file")
    return hashlib.sha256(file.read_bytes()).hexdigest()[:16]


def unlabeled_examples(source: str, task: TaskDef, data: TaskData, data_dir, *, limit: int | None,
                       seed: int) -> list[Example]:
    """The transfer examples, unlabelled, at most `limit` of them (a seeded sample, in their order)."""
    if is_file_source(source, task):
        examples = read_file(Path(source), task)
    else:
        used = {e.id for e in [*data.train, *data.selection, *(x for s in data.evaluation.values() for x in s)]}
        examples = [e for e in load_split(task, source, data_dir) if e.id not in used]
        if not examples:
            raise HarnessError(f"--distill-unlabeled {source}: every example of that split is already trained, "
                               "selected or reported on; name another split or a file")
    if limit is not None:
        examples = sample_in_order(examples, limit, random.Random(f"distill-unlabeled/{seed}"))
    return [unlabel(e, task.kind) for e in examples]


def unlabel(example: Example, kind: str) -> Example:
    if kind == kinds.TOKEN_CLASSIFICATION:
        return replace(example, tags=None)
    return replace(example, label=float("nan") if kind == kinds.REGRESSION else IGNORE)


def read_file(path: Path, task: TaskDef) -> list[Example]:
    """A JSON-lines file of inputs; HarnessError naming the first line that lacks the task's fields."""
    needed = ("words",) if task.kind == kinds.TOKEN_CLASSIFICATION else ("text",)
    prefix = f"unlabeled-{file_fingerprint(str(path))}"
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HarnessError(f"--distill-unlabeled {path}: line {number} is not JSON ({exc.msg}); write one "
                               "JSON object per line") from None
        if not isinstance(row, dict) or any(not _valid(row.get(name), name) for name in needed):
            raise HarnessError(f"--distill-unlabeled {path}: line {number} needs {' and '.join(needed)} "
                               f"({'a list of words' if needed == ('words',) else 'a non-empty string'}) for "
                               f"{task.kind} task {task.name}")
        pair = row.get("text_pair")
        example_id = f"{prefix}-{row['id']}" if "id" in row else f"{prefix}-{number}"
        if task.kind == kinds.TOKEN_CLASSIFICATION:
            examples.append(Example(id=example_id, words=tuple(str(w) for w in row["words"]), fields=row))
        else:
            examples.append(Example(id=example_id, text=row["text"], text_pair=None if pair is None else str(pair),
                                    fields=row))
    if not examples:
        raise HarnessError(f"--distill-unlabeled {path}: the file holds no examples; one JSON object per line")
    if len({e.id for e in examples}) != len(examples):
        raise HarnessError(f"--distill-unlabeled {path}: two lines share an id; give each line its own id")
    return examples


def _valid(value, name: str) -> bool:
    if name == "words":
        return isinstance(value, list) and bool(value) and all(isinstance(w, (str, int, float)) for w in value)
    return isinstance(value, str) and bool(value.strip())
