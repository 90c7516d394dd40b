"""A GateResult as markdown (CI logs, pull requests), as JSON (machines) and as one summary line."""

from __future__ import annotations

import math
from typing import Any

from harness.compare import units
from harness.regress.gate import FAIL, MISSING, Check, GateResult
from harness.regress.pairing import TaskRuns

_DASH = units.MISSING


def _score(value: float | None) -> str:
    return f"{value:.4f}" if value is not None and math.isfinite(value) else _DASH


def _signed(value: float | None) -> str:
    return f"{value:+.4f}" if value is not None and math.isfinite(value) else _DASH


def _interval(bounds: tuple[float, float] | None) -> str:
    if bounds is None or not all(math.isfinite(b) for b in bounds):
        return _DASH
    return f"[{bounds[0]:+.4f}, {bounds[1]:+.4f}]"


def _verdict_cell(check: Check) -> str:
    if check.verdict == MISSING:
        return "MISSING (allowed)" if check.allowed else "**MISSING**"
    return f"**{check.verdict}**" if check.verdict == FAIL else check.verdict


def _seeds(seeds: tuple[int, ...]) -> str:
    return ", ".join(str(s) for s in seeds)


def pairing_sentence(check: Check) -> str:
    over = (f" (mean over {check.variants} prompt variants, variant to variant; the candidate is better on "
            f"{check.variants_better} and worse on {check.variants_worse} of the pairs)" if check.variants else "")
    if check.pairing == "seeds":
        return f"seed to seed ({_seeds(check.baseline_seeds)}){over}"
    return (f"pooled: no seed in common, mean over baseline seeds {_seeds(check.baseline_seeds)} against mean "
            f"over candidate seeds {_seeds(check.candidate_seeds)}{over}")


def _unused_seeds(result: GateResult, task: str, check: Check) -> str:
    """' (baseline seed 2 unused)' when seed pairing left runs out."""
    parts = []
    for side, sides in (("baseline", result.baseline), ("candidate", result.candidate)):
        used = check.baseline_seeds if side == "baseline" else check.candidate_seeds
        unused = [s for s in sides[task].seeds if s not in used]
        if unused:
            parts.append(f"{side} seed{'s' if len(unused) > 1 else ''} {_seeds(tuple(unused))} unused")
    return f" ({'; '.join(parts)})" if parts else ""


def _sides(runs: dict[str, TaskRuns]) -> str:
    return "; ".join(f"{task}: {task_runs.label}" for task, task_runs in runs.items()) or "no runs"


def summary_line(result: GateResult) -> str:
    """The line a CI log ends with: the verdict and what decided it."""
    failures = result.failures
    if not failures:
        judged = sum(1 for c in result.checks if c.verdict != MISSING)
        return (f"regress: PASS: {judged} metric(s) checked, none significantly worse beyond its tolerance "
                f"(alpha {result.alpha:g})")
    shown = []
    for check in failures[:3]:
        where = f"{check.task} {check.split} {check.metric}"
        if check.verdict == MISSING:
            shown.append(f"{where} missing in the candidate")
        else:
            shown.append(f"{where} {_signed(check.delta)} (p {units.p_value(check.p_bootstrap, result.n_boot)}, "
                         f"tolerance {check.tolerance:g})")
    more = f"; and {len(failures) - 3} more" if len(failures) > 3 else ""
    return f"regress: FAIL: {len(failures)} of {len(result.checks)} check(s) failed: {'; '.join(shown)}{more}"


def markdown(result: GateResult, baseline_source: str = "", candidate_source: str = "") -> str:
    r = result
    percent = f"{r.confidence * 100:g}%"
    title = "PASS" if r.passed else f"FAIL ({len(r.failures)} of {len(r.checks)} checks)"
    lines = [
        f"## Regression gate: {title}",
        "",
        f"- baseline{f' `{baseline_source}`' if baseline_source else ''}: {_sides(r.baseline)}",
        f"- candidate{f' `{candidate_source}`' if candidate_source else ''}: {_sides(r.candidate)}",
        "",
        f"| task | split | metric | baseline | candidate | Δ | {percent} CI of Δ | p (bootstrap) | p (McNemar) "
        "| tolerance | verdict |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in r.checks:
        arrow = "↑" if c.higher_is_better else "↓"
        lines.append(
            f"| {c.task} | {c.split} | {c.metric} {arrow} | {_score(c.baseline)} | {_score(c.candidate)} "
            f"| {_signed(c.delta)} | {_interval(c.interval)} | {units.p_value(c.p_bootstrap, r.n_boot)} "
            f"| {units.p_value(c.p_mcnemar)} | {c.tolerance:g} | {_verdict_cell(c)} |"
        )
    lines.append("")
    seen: set[str] = set()
    for c in r.checks:
        if c.pairing and c.task not in seen:
            seen.add(c.task)
            lines.append(f"- {c.task}: {c.n_examples} examples per split, paired by example id; seeds "
                         f"{pairing_sentence(c)}{_unused_seeds(r, c.task, c)}")
    if r.extra:
        lines.append(f"- only in the candidate (reported, not judged): {', '.join(r.extra)}")
    lines += [f"- note: {note}" for note in r.notes]
    lines += [
        "",
        "A metric fails when the candidate is worse than the baseline by more than its tolerance (an absolute "
        "drop in the metric's units; ↑ higher is better, ↓ lower is better) and the paired bootstrap over "
        f"examples ({r.n_boot} resamples, the same for every run, two-sided) gives p < {r.alpha:g}; a task or metric "
        "the baseline has and the candidate lacks fails unless allowed. McNemar: exact test on the "
        "discordant (seed, example) pairs, reported for accuracy, not part of the rule.",
        "",
    ]
    return "\n".join(lines)


def _safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _safe(item) for key, item in value.items()}
    return value


def _side_dict(source: str, runs: dict[str, TaskRuns]) -> dict[str, Any]:
    return {"source": source, "tasks": {
        task: {"model": t.first.record["spec"]["model"], "method": t.first.record["spec"]["method"],
               "task_hash": t.task_hash, "runs": {str(s): run.run_id for s, run in t.by_seed.items()}}
        for task, t in runs.items()
    }}


def _check_dict(check: Check) -> dict[str, Any]:
    test = check.mcnemar
    return {
        "task": check.task, "split": check.split, "metric": check.metric,
        "higher_is_better": check.higher_is_better, "verdict": check.verdict, "failed": check.failed,
        "allowed_missing": check.allowed, "baseline": check.baseline, "candidate": check.candidate,
        "delta": check.delta, "interval": check.interval, "p_bootstrap": check.p_bootstrap,
        "p_mcnemar": check.p_mcnemar,
        "mcnemar": None if test is None else {"baseline_only_right": test.reference_only,
                                              "candidate_only_right": test.candidate_only, "pairs": test.pairs},
        "tolerance": check.tolerance, "pairing": check.pairing or None, "baseline_seeds": check.baseline_seeds,
        "candidate_seeds": check.candidate_seeds, "n_examples": check.n_examples,
        "prompt_variants": check.variants, "prompt_variants_better": check.variants_better,
        "prompt_variants_worse": check.variants_worse,
    }


def to_json(result: GateResult, baseline_source: str = "", candidate_source: str = "") -> dict[str, Any]:
    """Every figure, JSON-safe (nan -> None)."""
    r = result
    return _safe({
        "verdict": "PASS" if r.passed else "FAIL", "exit_code": r.exit_code, "summary": summary_line(r),
        "alpha": r.alpha, "confidence": r.confidence, "n_boot": r.n_boot, "bootstrap_seed": r.seed,
        "tolerances": r.tolerances.to_dict(),
        "baseline": _side_dict(baseline_source, r.baseline), "candidate": _side_dict(candidate_source, r.candidate),
        "checks": [_check_dict(c) for c in r.checks], "only_in_candidate": r.extra, "notes": r.notes,
    })
