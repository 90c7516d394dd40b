"""The README's table of benchmarks/train_scale.py records: one markdown table per record, under one line saying
which command rendered it, from which records, and when, where and at which commit they were measured.

    python benchmarks/train_scale.py --render benchmarks/train_scale/cpu-gemma3-270m.json [--results results]

Record paths are relative to the results folder (benchmarks/readme_tables.py passes the folder it checks).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


def render(paths: list[str], results: Path) -> str:
    records = [_read(results / path) for path in paths]
    command = shlex.join(["python", "benchmarks/train_scale.py", "--render", *paths])
    provenance = (f"<sub>`{command}` over {len(records)} benchmark record{'s' if len(records) != 1 else ''} in "
                  f"`results/`: {'; '.join(_made(record) for record in records)}.</sub>")
    blocks = [provenance]
    blocks += [_table(record) for record in records]
    return "\n\n".join(blocks) + "\n"


def _read(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnessError(f"{path}: not a readable train_scale record ({type(exc).__name__}); rerun "
                           "benchmarks/train_scale.py --output FILE") from None
    if not isinstance(record, dict) or "cells" not in record:
        raise HarnessError(f"{path}: not a train_scale record (no cells); rerun benchmarks/train_scale.py --output FILE")
    return record


def _made(record: dict[str, Any]) -> str:
    git, versions = record.get("git") or {}, record.get("versions") or {}
    commit = (git.get("commit") or "?")[:7] + (" with local changes" if git.get("dirty") else "")
    return (f"made {str(record.get('created_at', '?'))[:10]} at commit {commit} on {record.get('device', '?')}, "
            f"torch {versions.get('torch', '?')}, transformers {versions.get('transformers', '?')}")


def _table(record: dict[str, Any]) -> str:
    cuda = record.get("cuda")
    peak = record.get("peak")
    memory = "peak alloc / reserved GiB (harness)" if cuda else "peak RSS GiB: harness / plain / Trainer"
    header = columns(f"MFU ({peak['name']})" if peak else "MFU", memory)
    rows = [header, ["---"] * len(header), *cell_rows(record["cells"], record.get("parameters") or {},
                                                      lambda loops: _memory(loops, cuda))]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def columns(mfu: str, memory: str) -> list[str]:
    return ["model (N for MFU)", "seq", "method", "ckpt", "batch", "harness tok/s", mfu, "plain tok/s",
            "Trainer tok/s", "x plain", "x Trainer", memory, "largest batch"]


def cell_rows(cells: list[dict[str, Any]], counts: dict[str, Any],
              memory: Callable[[dict[str, Any]], str]) -> list[list[str]]:
    """One row per cell under `columns` (the terminal's table and the README's); `memory(loops)` fills its
    column."""
    rows = []
    for cell in cells:
        name = cell["model"] or cell["config"]
        first = [f"{name} ({counts.get(name, {}).get('flop_parameters', 0) / 1e9:.2f}B)", str(cell["seq_len"]),
                 cell["method"], "on" if cell["checkpointing"] else "off", str(cell["batch_size"])]
        if cell.get("status") != "measured":
            rows.append([*first, {"cuda_only": "CUDA only", "does_not_fit": "does not fit"}.get(cell.get("status"),
                                                                                            str(cell.get("status"))),
                         *[""] * 7])
            continue
        loops, ratios = cell["loops"], cell.get("ratios", {})
        harness = loops.get("harness", {})
        share = harness.get("mfu")
        rows.append([*first, rate(loops, "harness"), "n/a" if share is None else f"{100 * share:.1f}%",
                     rate(loops, "plain"), rate(loops, "trainer"),
                     *(f"{ratios[k]:.3f}" if k in ratios else "-" for k in ("harness/plain", "harness/trainer")),
                     memory(loops), str(cell.get("largest_batch", "n/a"))])
    return rows


def rate(loops: dict[str, Any], loop: str) -> str:
    entry = loops.get(loop)
    return "-" if entry is None else f"{entry['tokens_per_s']:,.0f}" if "tokens_per_s" in entry else entry["status"]


def _memory(loops: dict[str, Any], cuda: bool) -> str:
    if cuda:
        harness = loops.get("harness", {})
        return f"{harness.get('peak_allocated_mb', 0) / 1024:.1f} / {harness.get('peak_reserved_mb', 0) / 1024:.1f}"
    return " / ".join(f"{loops[loop]['peak_rss_mb'] / 1024:.2f}" if "peak_rss_mb" in loops.get(loop, {}) else "-"
                      for loop in ("harness", "plain", "trainer"))
