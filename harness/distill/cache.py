"""The teacher's outputs kept beside its record (<results>/<task>/<teacher>.teacher-outputs.pt), by example id.

Written whole or not at all. A cache made for another recording of the teacher (rerun with
--force, or on other data files) is ignored and replaced, never mixed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from harness.record.store import atomic_replace


class TeacherCache:
    def __init__(self, path: Path, teacher_record: dict[str, Any]) -> None:
        self.path = path
        self.made_for = {"teacher": teacher_record["run_id"], "created_at": teacher_record.get("created_at"),
                         "file_sha256": (teacher_record.get("data") or {}).get("file_sha256")}
        self.outputs: dict[str, torch.Tensor] = {}
        if path.is_file():
            saved = torch.load(path, weights_only=True)
            if saved.get("made_for") == self.made_for:
                self.outputs = saved["outputs"]

    def get(self, example_id: str) -> torch.Tensor | None:
        return self.outputs.get(str(example_id))

    def add(self, outputs: dict[str, torch.Tensor]) -> None:
        self.outputs.update({str(k): v for k, v in outputs.items()})

    def save(self) -> None:
        atomic_replace(self.path, lambda handle: torch.save({"made_for": self.made_for, "outputs": self.outputs},
                                                            handle))
