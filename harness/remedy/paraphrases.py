"""Paraphrases for augmentation, from any tool a user has (back-translation, an LLM): `--augment-file`.

A JSON-lines file, one paraphrase per line: {"id": "<training example id>", "text": "..."} and,
for text pairs, an optional "text_pair". An example may have several lines. The label stays the
example's own. Token classification is refused: a paraphrase would need new tags.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.tasks import Example, TaskDef, kinds

FIELDS = ("id", "text", "text_pair")


def read_paraphrases(path: Path, task: TaskDef) -> dict[str, list[dict[str, str]]]:
    """Paraphrases by example id; HarnessError naming the first line that is not one."""
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        raise HarnessError(f"--augment-file applies to text tasks; {task.name} tags words, and a paraphrase would "
                           "need new tags: augment it with --augment NAME,... instead")
    if not path.is_file():
        raise HarnessError(f"--augment-file {path}: no such file; give a JSON-lines file of "
                           '{"id": ..., "text": ...} lines')
    found: dict[str, list[dict[str, str]]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"--augment-file {path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise HarnessError(f"{where}: not JSON ({error.msg}); write one object per line") from None
        if not isinstance(row, dict):
            raise HarnessError(f"{where}: expected an object with id and text")
        unknown = sorted(set(row) - set(FIELDS))
        if unknown:
            raise HarnessError(f"{where}: unknown field {', '.join(unknown)}; a line has {', '.join(FIELDS)} only")
        for name in ("id", "text"):
            if not isinstance(row.get(name), str) or not row[name].strip():
                raise HarnessError(f"{where}: field {name} must be a non-empty string")
        if "text_pair" in row and not isinstance(row["text_pair"], str):
            raise HarnessError(f"{where}: field text_pair must be a string")
        found.setdefault(row["id"], []).append({k: v for k, v in row.items() if k != "id"})
    if not found:
        raise HarnessError(f"--augment-file {path}: no paraphrase in it")
    return found


def check_paraphrase_file(path: Path, task: TaskDef) -> dict[str, Any]:
    """The spec's record of the file: its path, fingerprint and size (the lines are checked now)."""
    rows = read_paraphrases(path, task)
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16],
            "paraphrases": sum(map(len, rows.values()))}


def check_ids(paraphrases: dict[str, list[dict[str, str]]], train_split: Sequence[Example], path: str) -> None:
    """HarnessError when the file names an example the task's training split does not have."""
    known = {example.id for example in train_split}
    unknown = sorted(set(paraphrases) - known)
    if unknown:
        raise HarnessError(f"--augment-file {path}: {len(unknown)} id(s) are not training examples of the task, "
                           f"such as {unknown[0]!r}; use the ids `harness` gives the train split's examples")
