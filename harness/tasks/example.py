"""One example of a task, whatever its kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    """An example as every later stage sees it.

    `id` is stable across runs ("<split>-<row>"), so predictions of two runs can be
    paired. Classification and regression fill `text` (and `text_pair`) and `label`
    (a class index, or a float score). Token classification fills `words` and `tags`
    (tag indices, one per word). `fields` keeps the raw row for prompts and perturbations.
    """

    id: str
    text: str | None = None
    text_pair: str | None = None
    label: int | float | None = None
    words: tuple[str, ...] | None = None
    tags: tuple[int, ...] | None = None
    fields: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
