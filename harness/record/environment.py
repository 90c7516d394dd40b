"""Where and with what a run was made: versions, git commit, device."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

import harness

PACKAGES = ("torch", "transformers", "peft", "accelerate", "datasets", "tokenizers", "numpy", "seqeval",
            "scikit-learn", "scipy")


def package_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version(), "harness": harness.__version__}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def utc_timestamp() -> str:
    """Now, in UTC, to the second: when a record was made."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_commit() -> dict[str, str | bool | None]:
    """Commit of the harness checkout, and whether it had uncommitted changes."""
    root = Path(harness.__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, timeout=5).stdout.strip())
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def device_info(device: torch.device) -> dict[str, object]:
    info: dict[str, object] = {"type": device.type, "platform": platform.platform(),
                               "torch_threads": torch.get_num_threads(), "cpu": cpu_model(),
                               "cpu_count": os.cpu_count()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
        info["bf16"] = torch.cuda.is_bf16_supported()
    return info


def reproducibility(device: torch.device) -> dict[str, object]:
    """Whether a rerun on the same machine is expected to repeat this run bit for bit, and why (not)."""
    if device.type != "cuda":
        return {"bitwise": True, "why": f"{device.type} kernels repeat exactly for the same torch version and thread "
                                        "count"}
    deterministic = (torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
                     and os.environ.get("CUBLAS_WORKSPACE_CONFIG") in (":4096:8", ":16:8"))
    if deterministic:
        return {"bitwise": True, "why": "deterministic CUDA algorithms were enforced"}
    return {"bitwise": False, "why": "CUDA kernels (atomic adds in backward passes, cuBLAS workspaces, cuDNN "
                                     "autotuning) are not deterministic by default: reruns agree only to rounding"}


def environment(device: torch.device) -> dict[str, object]:
    return {"versions": package_versions(), "git": git_commit(), "device": device_info(device),
            "reproducibility": reproducibility(device),
            "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:])}
