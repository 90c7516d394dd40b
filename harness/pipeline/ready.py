"""What the model-building stages hand to evaluation and recording: a model ready to be scored."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from harness.evaluation import Predictor
from harness.pipeline.record import FineTunedFacts, PromptedFacts


@dataclass
class ReadyModel:
    scoring: Callable[[], AbstractContextManager[Predictor]]  # `with ready.scoring() as predictor:` evaluates
    facts: FineTunedFacts | PromptedFacts  # what building it measured, for the record
    device: torch.device
    writes: bool = True  # under accelerate/torchrun only the main process writes the record
    finish: Callable[[], None] = lambda: None  # once the record is safely on disk (drops the checkpoint)
