"""What is wrong with the files of a results folder, found without changing any of them.

    findings = check_results("results")     # one Finding per file that is not a sound record

Run records (<task>/<run_id>.json) must parse, carry the fields readers rely on with the
types they expect (spec settings within their declared ranges, finite scores), hold the
run their file name says, have a whole predictions file beside them (every line a row,
no example twice) and a schema this version reads; profile records
(<task>/profiles/*.json) must parse and say they are profiles. A `.tmp` file is what an
interrupted atomic write left behind; a predictions file without its record is a run that
stopped between its two writes. Nothing is ever deleted or rewritten here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from harness.record.store import PLAIN_PREDICTIONS, PREDICTIONS, SCHEMA_VERSION, open_rows, predictions_beside
from harness.spec import RANGES

RUN_FIELDS = ("run_id", "spec", "task", "headline", "metrics")
CORRUPT, INCOMPLETE, OLD_SCHEMA, NEWER_SCHEMA, LEFTOVER, ORPHAN = (
    "corrupt", "incomplete", "older schema", "newer schema", "leftover", "orphan")


@dataclass(frozen=True)
class Finding:
    path: Path
    problem: str  # one of the constants above
    detail: str


def check_results(root: Path | str) -> list[Finding]:
    root = Path(root)
    if not root.is_dir():
        return []
    findings: list[Finding] = []
    for path in sorted(root.glob("*/.*.tmp")) + sorted(root.glob("*/profiles/.*.tmp")):
        findings.append(Finding(path, LEFTOVER, "an interrupted write left it; the file it was replacing is intact"))
    for path in sorted(root.glob("*/*.json")):
        findings += _check_run(path)
    for path in sorted(root.glob("*/profiles/*.json")):
        findings += _check_profile(path)
    for suffix in (PREDICTIONS, PLAIN_PREDICTIONS, ".perturbed.jsonl.gz", ".attacked.jsonl.gz",
                   ".prompts.jsonl.gz"):
        for path in sorted(root.glob(f"*/*{suffix}")):
            if not path.with_name(path.name.removesuffix(suffix) + ".json").is_file():
                findings.append(Finding(path, ORPHAN, "predictions without their record: the run stopped before "
                                                      "recording; rerunning it records it"))
    return findings


def _read(path: Path) -> tuple[object, Finding | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, Finding(path, CORRUPT, f"cannot be read as JSON ({type(exc).__name__})")


def _check_run(path: Path) -> list[Finding]:
    record, problem = _read(path)
    if problem:
        return [problem]
    if not isinstance(record, dict):
        return [Finding(path, CORRUPT, "not a JSON object")]
    missing = [name for name in RUN_FIELDS if name not in record]
    if missing:
        return [Finding(path, INCOMPLETE, f"no {', '.join(missing)}")]
    findings = []
    version = record.get("schema_version", 0)
    if not isinstance(version, int) or version < SCHEMA_VERSION:
        findings.append(Finding(path, OLD_SCHEMA, f"schema {version}, this version writes {SCHEMA_VERSION}"))
    elif version > SCHEMA_VERSION:
        findings.append(Finding(path, NEWER_SCHEMA, f"schema {version}, this version reads up to {SCHEMA_VERSION}; "
                                                    "upgrade the harness"))
    if record["run_id"] != path.stem:
        findings.append(Finding(path, CORRUPT, f"holds run {record['run_id']}, not the run its name says (a copy?); "
                                               "readers skip it: remove or rename it"))
    wrong = _wrong_types(record)
    if wrong:
        findings.append(Finding(path, CORRUPT, wrong))
    predictions = predictions_beside(path)
    if not predictions.is_file():
        findings.append(Finding(path, INCOMPLETE, f"its predictions file {predictions.name} is missing "
                                                  "(compare and regress need it)"))
    else:
        damage = _damaged_rows(predictions)
        if damage:
            findings.append(Finding(predictions, CORRUPT, damage))
    return findings


def _wrong_types(record: dict) -> str:
    """'' when the fields readers compute with have their types; else what is wrong."""
    spec, headline = record["spec"], record["headline"]
    if not isinstance(spec, dict) or not isinstance(spec.get("training", {}), dict):
        return "spec is not a mapping of settings"
    settings = {**spec.get("training", {}), **{k: v for k, v in spec.items() if k != "training"}}
    for name, declared in RANGES.items():
        value = settings.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not declared.contains(value)):
            return f"spec {name} {value!r} is not {declared.describe()}"
    if not isinstance(headline, dict) or not _finite(headline.get("value")):
        return "headline has no finite value"
    if not isinstance(record["metrics"], dict):
        return "metrics is not a mapping of splits"
    for split, scores in record["metrics"].items():
        values = (scores or {}).get("values") if isinstance(scores, dict) else None
        if not isinstance(values, dict):
            return f"metrics of {split} hold no values"
        bad = [name for name, value in values.items() if value is not None and not _finite(value)]
        if bad:
            return f"metrics of {split}: {', '.join(bad)} not a finite number"
    return ""


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _damaged_rows(path: Path) -> str:
    """'' for a whole predictions file; else the first damage: a line that is no row, or an example twice."""
    seen: set[tuple[str, str]] = set()
    try:
        with open_rows(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    return f"line {number} is not a JSON row (cut off?); rerun the run with --force"
                if not isinstance(row, dict) or "id" not in row or "split" not in row:
                    return f"line {number} is not a prediction row (no split or id)"
                key = (str(row["split"]), str(row["id"]))
                if key in seen:
                    return f"line {number} repeats example {key[1]} of {key[0]}; rerun the run with --force"
                seen.add(key)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start}); rerun the run with --force"
    except (OSError, EOFError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__}); rerun the run with --force"
    return ""


def _check_profile(path: Path) -> list[Finding]:
    record, problem = _read(path)
    if problem:
        return [problem]
    if not isinstance(record, dict) or record.get("kind") != "profile" or "variants" not in record:
        return [Finding(path, INCOMPLETE, "in profiles/ but not a profile record (no kind: profile or variants)")]
    return []
