"""What is wrong with the files of a results folder, found without changing any of them.

    findings = check_results("results")     # one Finding per file that is not a sound record

Run records (<task>/<run_id>.json) must parse, carry the fields readers rely on, have
their predictions file beside them and a schema this version reads; profile records
(<task>/profiles/*.json) must parse and say they are profiles. A `.tmp` file is what an
interrupted atomic write left behind; a predictions file without its record is a run that
stopped between its two writes. Nothing is ever deleted or rewritten here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.record.store import SCHEMA_VERSION

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
    for path in sorted(root.glob("*/*.predictions.jsonl")):
        if not path.with_name(path.name.removesuffix(".predictions.jsonl") + ".json").is_file():
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
    predictions = path.with_name(path.name.removesuffix(".json") + ".predictions.jsonl")
    if not predictions.is_file():
        findings.append(Finding(path, INCOMPLETE, f"its predictions file {predictions.name} is missing "
                                                  "(compare and regress need it)"))
    return findings


def _check_profile(path: Path) -> list[Finding]:
    record, problem = _read(path)
    if problem:
        return [problem]
    if not isinstance(record, dict) or record.get("kind") != "profile" or "variants" not in record:
        return [Finding(path, INCOMPLETE, "in profiles/ but not a profile record (no kind: profile or variants)")]
    return []
