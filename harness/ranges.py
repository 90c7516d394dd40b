"""Declared ranges of numeric options: one declaration checks a value wherever it comes from.

A flag (through `harness.cli.range_type`), a sweep file, the Python API and a record read
back all go through `Range.check`, so an option's limits live next to where it is defined
and nowhere else. Bounds are what the option means (a dropout is a probability) and, where
a value is legal but certainly a mistake (a learning rate above 1, a million seeds), a
practical limit named in the error. Non-finite numbers are never accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

SEED_MAX = 2**32 - 1  # numpy's and torch's seeding take 32-bit seeds


@dataclass(frozen=True)
class Range:
    """Whole numbers (`kind=int`) or real numbers (`kind=float`) between `low` and `high`."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is excluded
    high_open: bool = False
    meaning: str = ""  # what the number is, for the error: "a dropout probability"

    def describe(self) -> str:
        """'a whole number from 1 to 1000', 'a number above 0 and at most 1', ..."""
        noun = "a whole number" if self.kind is int else "a number"
        if self.low is not None and self.high is not None and not (self.low_open or self.high_open):
            text = f"{noun} from {_show(self.low)} to {_show(self.high)}"
        else:
            parts = []
            if self.low is not None:
                parts.append(f"above {_show(self.low)}" if self.low_open else f"at least {_show(self.low)}")
            if self.high is not None:
                parts.append(f"below {_show(self.high)}" if self.high_open else f"at most {_show(self.high)}")
            text = f"{noun} {' and '.join(parts)}" if parts else noun
        return f"{text} ({self.meaning})" if self.meaning else text

    def interval(self) -> str:
        """'[1, 1000]', '(0, 1]', '[0, inf)': the range in interval notation, for --help."""
        low = "-inf" if self.low is None else _show(self.low)
        high = "inf" if self.high is None else _show(self.high)
        opening = "(" if self.low_open or self.low is None else "["
        closing = ")" if self.high_open or self.high is None else "]"
        return f"{opening}{low}, {high}{closing}"

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.high_open and value == self.high))

    def check(self, name: str, value: Any) -> int | float:
        """The value as this range's kind; HarnessError '--NAME VALUE: expected ...' when it is not one.

        Strings are read as numbers (YAML reads `1e-3` as a string), booleans never are.
        """
        converted = self.convert(value)
        if converted is None or not self.contains(converted):
            raise HarnessError(f"{name} {_given(value)}: expected {self.describe()}")
        return converted

    def convert(self, value: Any) -> int | float | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            value = _parse(value.strip())
            if value is None:
                return None
        if self.kind is int:
            if isinstance(value, int):
                return value
            if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
                return int(value)
            return None
        return float(value) if isinstance(value, (int, float)) else None


def _parse(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _show(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() and abs(bound) < 1e15 else f"{bound:g}"


def _given(value: Any) -> str:
    plain = isinstance(value, str) and value.strip() == value and value != ""
    text = value if plain else repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# Ranges several parts of the harness share.
SEED = Range(int, 0, SEED_MAX, meaning="a 32-bit seed")
SHARE = Range(float, 0, 1, high_open=True, meaning="a share, such as 0.1")
DROPOUT = Range(float, 0, 1, high_open=True, meaning="a dropout probability, such as 0.1")
ALPHA = Range(float, 0, 1, low_open=True, high_open=True, meaning="a significance level, such as 0.05")
# 1000 resamples for p-values near alpha; past 100,000 a bootstrap costs minutes and resolves nothing more
N_BOOT = Range(int, 100, 100_000, meaning="bootstrap resamples: 1000 or more for p-values near alpha")
EXAMPLES = Range(int, 1, 1_000_000_000, meaning="a number of examples")
# distillation (harness.distill)
DISTILL_ALPHA = Range(float, 0, 1, meaning="the gold labels' share of the loss, the teacher's being 1 - alpha")
TEMPERATURE = Range(float, 0, 100, low_open=True, meaning="the softening temperature, such as 2")
STUDENT_LAYERS = Range(int, 1, 1000, meaning="transformer layers the student keeps")
# training remedies (harness.remedy)
AUGMENT_PROB = Range(float, 0, 1, meaning="the share of training examples perturbed each epoch")
AUGMENT_COPIES = Range(int, 0, 100, meaning="extra perturbed copies of each training example per epoch")
ADV_EPSILON = Range(float, 0, 1000, low_open=True,
                    meaning="the largest L2 norm of one example's embedding perturbation, such as 1.0")
ADV_STEPS = Range(int, 1, 100, meaning="ascent steps per batch")
ADV_ALPHA = Range(float, 0, 1000, low_open=True, meaning="the L2 norm of one ascent step, such as 0.3")
# adversarial attacks in evaluation (harness.attack)
ATTACK_BUDGET = Range(int, 1, 100_000, meaning="model queries per attacked example, such as 100")
ATTACK_MAX_SHARE = Range(float, 0, 1, low_open=True,
                         meaning="the largest share of an example's words (or characters) an attack changes")
# the spread of a prompted score over prompts, formats and demonstrations (harness.prompt_spread)
PROMPT_FORMATS = Range(int, 1, 100, meaning="formats of each prompt, the prompt as written included, such as 10")
DEMO_DRAWS = Range(int, 1, 100, meaning="demonstration draws (few-shot), such as 5")
