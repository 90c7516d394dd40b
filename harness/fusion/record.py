"""The record of a combination (an ensemble or a merge): a run record like any other, plus its `fusion` section.

    record = fused_record("ensemble", members, task, options, metrics, fusion, costs, inference, started)

Leaderboards, compare and regress read it as they read a run: spec (method "ensemble" or
"merge", seed 0, the members' shared settings), task, data, headline, metrics, costs. Its
id is derived from what decides its result: the kind, the members' run ids and data
fingerprints in order, the combination and its weights, so combining the same runs again
finds the same record.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

import torch

from harness.fusion.members import Member
from harness.record.environment import environment, utc_timestamp
from harness.record.store import SCHEMA_VERSION
from harness.tasks import TaskDef

FUSED_METHODS = ("ensemble", "merge")
_SHARED = ("max_length", "train_limit", "eval_limit", "pooling", "fold", "init_seed")


def fused_id(kind: str, members: Sequence[Member], options: dict[str, Any]) -> str:
    """From the kind, the members (their run ids and data fingerprints, in order) and the combination's options."""
    data = [(m.record.get("data") or {}).get("file_sha256") for m in members]
    canonical = json.dumps({"kind": kind, "members": [m.run_id for m in members], "data": data, "options": options},
                           sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def fused_spec(kind: str, members: Sequence[Member], task: TaskDef, options: dict[str, Any]) -> dict[str, Any]:
    """Method `kind`, seed 0, the members' settings where they all agree; `member_spec` is the members' own spec
    (without seed) when they share one configuration, so a leaderboard can say what was combined."""
    specs = [m.record["spec"] for m in members]
    models = list(dict.fromkeys(str(s["model"]) for s in specs))
    shared = {k: specs[0].get(k) if all(s.get(k) == specs[0].get(k) for s in specs) else None for k in _SHARED}
    unseeded = [{k: v for k, v in s.items() if k != "seed"} for s in specs]
    # the evaluation batch size is the one setting of training a re-evaluation reads (verify --eval-only)
    training = {"batch_size": specs[0]["training"]["batch_size"]} if "batch_size" in (specs[0].get("training") or {}) \
        else {}
    return {"model": "+".join(models), "method": kind, "task": task.name, "seed": 0, "training": training,
            "method_options": {**options, "members": [m.run_id for m in members],
                               "of": "+".join(dict.fromkeys(str(s["method"]) for s in specs))},
            **shared, "member_spec": unseeded[0] if all(u == unseeded[0] for u in unseeded) else None}


def fused_record(kind: str, members: Sequence[Member], task: TaskDef, options: dict[str, Any],
                 metrics: dict[str, Any], fusion: dict[str, Any], costs: dict[str, Any],
                 inference: dict[str, Any], started: float, device: str = "cpu",
                 lead: Member | None = None) -> dict[str, Any]:
    """The record; `lead` is a member of `task` whose task and data sections it repeats (default the first)."""
    first = (lead or members[0]).record
    split = task.headline_split
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": fused_id(kind, members, options),
        "created_at": utc_timestamp(),
        "kind": kind,
        "spec": fused_spec(kind, members, task, options),
        "task": first["task"],
        "data": first.get("data"),
        "headline": {"split": split, "metric": task.headline, "value": metrics[split]["values"][task.headline],
                     "interval": metrics[split]["intervals"].get(task.headline)},
        "metrics": metrics,
        "fusion": fusion,
        "model": {"name": "+".join(dict.fromkeys(str(m.record["spec"]["model"]) for m in members)),
                  "parameters": costs["total_parameters"], "trainable_parameters": costs["trainable_parameters"],
                  "trainable_share": costs["trainable_share"]},
        "inference": inference,
        "costs": costs,
        "wall_seconds": round(time.perf_counter() - started, 3),
        "environment": environment(torch.device(device)),
    }


def member_facts(members: Sequence[Member]) -> list[dict[str, Any]]:
    """What the fusion section keeps of each member: id, method, seed, headline, selection score, data."""
    return [{"run_id": m.run_id, "task": m.record["task"]["name"], "method": m.record["spec"]["method"],
             "seed": m.record["spec"]["seed"],
             "headline": m.record["headline"]["value"],
             "selection_score": (m.record.get("training") or {}).get("selection_score"),
             "file_sha256": (m.record.get("data") or {}).get("file_sha256")} for m in members]
