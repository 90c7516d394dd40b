"""Rerun a recorded run from its spec and compare: are the metrics and predictions the same, bit for bit?

    report = verify_run("results", "46e9a4e6b162cb0d", data_dir=Path("../shared/data"))
    report.identical, report.differences

The rerun writes into a temporary folder, so the recorded run is never touched. On CPU a
run is expected to repeat exactly; a difference names the split and metric, or how many
prediction rows differ and the first of them.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.pipeline import execute
from harness.record.store import ResultStore
from harness.replay.recorded import find_record, read_run


@dataclass
class Verification:
    run_id: str
    task: str
    compared_metrics: int = 0
    compared_rows: int = 0
    differences: list[str] = field(default_factory=list)
    not_bitwise_because: str | None = None  # the record's own reason why exact repeats are not expected

    @property
    def identical(self) -> bool:
        return not self.differences


def _check_trained_run(path: Path) -> None:
    """A combination of recorded runs has no spec to train again: say what checks it instead."""
    record = ResultStore(path.parent.parent).load(path.parent.name, path.stem)
    fusion = record.get("fusion")
    if fusion:
        ids = " ".join(m["run_id"] for m in fusion.get("members", []))
        again = ("`harness verify RUN --eval-only` evaluates its saved model again" if fusion.get("kind") == "merge"
                 else f"`harness ensemble {ids} --force` combines its members again")
        raise HarnessError(f"run {record['run_id']} is a{'n' if fusion.get('kind') == 'ensemble' else ''} "
                           f"{fusion.get('kind')} of recorded runs, not a run to train again; {again}")


def verify_run(results: Path | str, run_id: str, *, data_dir: Path | None = None, device: str | None = None,
               tasks_dirs: list[Path] | None = None, show_progress: bool = False) -> Verification:
    path = find_record(Path(results), run_id)
    _check_trained_run(path)
    record, spec, task = read_run(path, tasks_dirs)
    expected = (record.get("environment") or {}).get("reproducibility") or {}
    report = Verification(record["run_id"], task.name,
                          not_bitwise_because=None if expected.get("bitwise", True) else expected.get("why"))
    with tempfile.TemporaryDirectory(prefix="harness-verify-") as folder:
        outcome = execute(spec, task, output=folder, data_dir=data_dir, force=True, device=device,
                          show_progress=show_progress, teacher_results=path.parent.parent)
        compare_metrics(record["metrics"], outcome.record["metrics"], report)
        report.not_bitwise_because = report.not_bitwise_because or _linear_layers_changed(record, outcome.record)
        again = ResultStore(folder).load_predictions(task.name, outcome.record["run_id"])
    compare_rows(ResultStore(path.parent.parent).load_predictions(task.name, record["run_id"]), again, report)
    return report


def compare_metrics(recorded: dict[str, Any], rerun: dict[str, Any], report: Verification) -> None:
    for split in sorted(set(recorded) | set(rerun)):
        before = (recorded.get(split) or {}).get("values", {})
        after = (rerun.get(split) or {}).get("values", {})
        for metric in sorted(set(before) | set(after)):
            report.compared_metrics += 1
            if not _same(before.get(metric), after.get(metric)):
                report.differences.append(f"{split} {metric}: recorded {before.get(metric)}, rerun {after.get(metric)}")


def compare_rows(recorded: list[dict[str, Any]], rerun: list[dict[str, Any]], report: Verification) -> None:
    report.compared_rows = len(recorded)
    if len(recorded) != len(rerun):
        report.differences.append(f"predictions: {len(recorded)} rows recorded, {len(rerun)} in the rerun")
        return
    differing = [(a, b) for a, b in zip(recorded, rerun) if not _same(a, b)]
    if differing:
        first, again = differing[0]
        changed = sorted(k for k in set(first) | set(again) if not _same(first.get(k), again.get(k)))
        report.differences.append(f"predictions: {len(differing)} of {len(recorded)} rows differ (first: id "
                                  f"{first.get('id')}, {', '.join(changed)})")


def _linear_layers_changed(recorded: dict[str, Any], rerun: dict[str, Any]) -> str | None:
    """Prompt runs scored through oneDNN and through PyTorch's own linear layers agree only to rounding."""
    if "prompting" not in recorded or "prompting" not in rerun:
        return None
    before = recorded["prompting"].get("linear_layers", "pytorch")  # records older than the oneDNN path
    after = rerun["prompting"].get("linear_layers", "pytorch")
    if before == after:
        return None
    return (f"it was scored through {before} linear layers and the rerun through {after} ones, which agree only to "
            f"float32 rounding; rerun with HARNESS_ONEDNN={'0' if before == 'pytorch' else '1'} to repeat it exactly")


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN (an undefined metric is undefined both times)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
