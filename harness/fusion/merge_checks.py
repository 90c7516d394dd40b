"""What a merge refuses before loading any weights, and its settings checked against their declared ranges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.errors import HarnessError, unknown_name
from harness.fusion.members import Member
from harness.methods import get_method
from harness.ranges import SEED, Range
from harness.record.rerun import rerun_command
from harness.record.store import ResultStore

DENSITY = Range(float, 0, 1, low_open=True, meaning="the share of each change's entries kept, such as 0.2")
SCALE = Range(float, 0, 100, low_open=True, meaning="the factor on the merged change, such as 1.0")
HOW = ("uniform", "greedy", "task-arithmetic", "ties", "dare")
DEFAULT_DENSITY = {"ties": 0.2, "dare": 0.5}  # TIES keeps the top 20% (Yadav et al.); DARE here drops half
# A family's members change the same tensors of the same base the same way: their changes add up.
FAMILIES = {"full": "whole model", "bitfit": "whole model", "lora": "low-rank", "dora": "low-rank",
            "adalora": "low-rank", "ia3": "ia3"}


def merge_settings(how: str, weights: Sequence[float] | None, scale: float | None, density: float | None,
                   seed: int | None, members: int) -> dict[str, Any]:
    """The merge's settings, each within its range; what a method does not use is refused, not ignored."""
    if how not in HOW:
        raise unknown_name("merge", how, HOW)
    if weights is not None and len(weights) != members:
        plural = "s" if len(weights) != 1 else ""
        raise HarnessError(f"--weights has {len(weights)} value{plural} for {members} members; give one per member, in "
                           "the members' order")
    if weights is not None and (sum(weights) <= 0 or how == "greedy"):
        raise HarnessError("--weights: at least one weight must be above 0" if how != "greedy" else
                           "--weights does not apply to --how greedy (the soup's members count equally)")
    if seed is not None and how != "dare":
        raise HarnessError(f"--seed applies to --how dare (its random drops), not {how}")
    if density is not None and how not in DEFAULT_DENSITY:
        raise HarnessError(f"--density applies to --how ties or dare, not {how}")
    if scale is not None and how in ("uniform", "greedy"):
        raise HarnessError(f"--scale applies to --how task-arithmetic, ties or dare (a soup is the members' mean), "
                           f"not {how}")
    settings: dict[str, Any] = {"merge": how, "weights": None if weights is None else [float(w) for w in weights]}
    if how not in ("uniform", "greedy"):
        settings["scale"] = SCALE.check("--scale", 1.0 if scale is None else scale)
    if how in DEFAULT_DENSITY:
        settings["density"] = DENSITY.check("--density", DEFAULT_DENSITY[how] if density is None else density)
    if how == "dare":
        settings["seed"] = SEED.check("--seed", 0 if seed is None else seed)
    return settings


def check_mergeable(members: Sequence[Member], how: str, multi_task: bool, store: ResultStore) -> None:
    """Members that trained weights of one base model in one way, each with its saved model."""
    for member in members:
        spec = member.record["spec"]
        method = get_method(spec["method"]) if "fusion" not in member.record else None
        if method is None or not method.trains:
            what = "a combination" if method is None else "a prompted run"
            raise HarnessError(f"run {member.label} trained no weights ({what}); merge fine-tuned runs")
        if spec["method"] not in FAMILIES:
            raise HarnessError(f"run {member.label}: --method {spec['method']} adds modules outside the pretrained "
                               f"model, so its weights do not merge; merge runs of {', '.join(FAMILIES)}")
        if spec.get("quantize_base"):  # merging folds the adapter into weights held at 4 or 8 bits
            raise HarnessError(f"run {member.label} trained on a quantized base (--quantize-base "
                               f"{spec['quantize_base']}): its adapter does not merge into a quantized base exactly; "
                               f"combine its outputs instead (harness ensemble)")
        if not member.record.get("artifact"):
            raise HarnessError(f"run {member.label} has no saved model; rerun it with "
                               f"`{rerun_command(spec, '--save-model', '--force')}` and merge again")
    first = members[0].record
    for member in members[1:]:
        spec, lead = member.record["spec"], first["spec"]
        for what, mine, theirs in (
                ("base model", spec["model"], lead["model"]),
                ("method family", FAMILIES[spec["method"]], FAMILIES[lead["method"]]),
                ("pooling", _pooling(member.record), _pooling(first))):
            if mine != theirs:
                raise HarnessError(f"runs {members[0].run_id} and {member.run_id} differ in {what} ({theirs} vs "
                                   f"{mine}); merge runs of one base model (so one tokenizer) and method family")
        if not multi_task and member.record["task"].get("labels") != first["task"].get("labels"):
            raise HarnessError(f"runs {members[0].run_id} and {member.run_id} have different label sets")
    if how == "greedy" and multi_task:
        raise HarnessError("--how greedy picks members by one task's selection score; it does not apply to "
                           "--multi-task")


def _pooling(record: dict[str, Any]) -> str | None:
    return (record.get("model") or {}).get("pooling")
