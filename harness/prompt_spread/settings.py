"""A run's prompt spread: what the user asked for, checked, and the spec entry it becomes.

    entry = spread_entry(SpreadRequest(prompts="all", formats=10), task, method="zero-shot", seed=0)
    # {"prompts": ["default", "instruction", "cloze"], "prompt_hashes": [...], "formats": 10, "demo_draws": 1}

The entry is part of the spec, so of the run id; each prompt's hash includes its synonyms (the
label-word formats use them). Names, numbers (harness/ranges.py) and the formats each prompt
can take are checked here, before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.prompt_spread.registry import draw_formats
from harness.ranges import DEMO_DRAWS, PROMPT_FORMATS
from harness.tasks import TaskDef
from harness.tasks.prompts import find_prompt

ALL = "all"
PROMPTING_METHODS = ("zero-shot", "few-shot")


@dataclass(frozen=True)
class SpreadRequest:
    """What the user asked for (flags, a sweep file or the API), before checking."""

    prompts: str | None = None  # "all" or "NAME,NAME"
    formats: int | None = None
    demo_draws: int | None = None

    @property
    def asked(self) -> bool:
        return any(value is not None for value in (self.prompts, self.formats, self.demo_draws))


def spread_entry(request: SpreadRequest, task: TaskDef, *, method: str, seed: int,
                 base_prompt: str | None = None) -> dict[str, Any] | None:
    """The spec's `prompt_spread` entry, None when nothing was asked; HarnessError naming the first wrong option.
    `base_prompt` (--prompt) is scored first, so it stays the run's headline."""
    if not request.asked:
        return None
    if method not in PROMPTING_METHODS:
        raise HarnessError(f"--prompts, --prompt-formats and --demo-draws apply to --method zero-shot or few-shot, "
                           f"not {method}: a fine-tuned model is not prompted")
    formats = PROMPT_FORMATS.check("--prompt-formats", 1 if request.formats is None else request.formats)
    draws = DEMO_DRAWS.check("--demo-draws", 1 if request.demo_draws is None else request.demo_draws)
    if draws > 1 and method != "few-shot":
        raise HarnessError(f"--demo-draws {draws} needs demonstrations: use --method few-shot (zero-shot has none)")
    names = prompt_names(request.prompts, task, base_prompt)
    prompts = [find_prompt(task.prompts, name, task.name) for name in names]
    for prompt in prompts:  # a prompt with too few distinct formats, or an axis that drops a field, fails here
        draw_formats(prompt, formats, seed)
    if len(prompts) * formats * draws == 1:
        raise HarnessError("--prompts with one prompt, --prompt-formats 1 and --demo-draws 1 is a single prompt: "
                           "use --prompt NAME, or ask for more (--prompts all, --prompt-formats 10)")
    return {"prompts": names, "prompt_hashes": [p.full_hash for p in prompts], "formats": formats,
            "demo_draws": draws}


def prompt_names(text: str | None, task: TaskDef, base_prompt: str | None) -> list[str]:
    """The prompts asked for, the base prompt first: 'all', 'a,b', or none (the base prompt alone)."""
    known = [prompt.name for prompt in task.prompts]
    if not known:
        find_prompt(task.prompts, None, task.name)  # the task defines no prompts: its error
    if text is None:
        chosen = [base_prompt or known[0]]
    elif not isinstance(text, str) or not text.strip():
        raise HarnessError(f"--prompts {text!r}: expected all or NAME[,NAME] (task {task.name}'s prompts: "
                           f"{', '.join(known)})")
    elif text.strip() == ALL:
        chosen = known
    else:
        chosen = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
        for name in chosen:
            find_prompt(task.prompts, name, task.name)  # an unknown name fails, listing the task's prompts
    if base_prompt and base_prompt not in chosen:
        raise HarnessError(f"--prompt {base_prompt} is not among --prompts {', '.join(chosen)}; add it, or drop "
                           "--prompt (the first of --prompts is then the run's headline)")
    first = base_prompt or chosen[0]
    return [first, *(name for name in chosen if name != first)]


def describe(entry: dict[str, Any]) -> str:
    """'3 prompts x 10 formats x 1 draw' for a settings label."""
    prompts, formats, draws = len(entry.get("prompts") or ()), entry.get("formats", 1), entry.get("demo_draws", 1)
    return (f"{prompts} prompt{'s' if prompts != 1 else ''} x {formats} format{'s' if formats != 1 else ''} x "
            f"{draws} draw{'s' if draws != 1 else ''}")
