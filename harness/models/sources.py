"""`--model NAME` -> where the weights come from: a packaged alias, a local folder or a hub id.

Order: a packaged alias wins (write `./minilm` for a folder of that name), then an existing
folder, then anything that looks like a path is reported as not found, then hub ids. Only
classification happens here; loading hub ids is left to transformers.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import huggingface_hub

from harness.errors import HarnessError, unknown_name
from harness.models.packaged import MODEL_ALIASES, locate_packaged, package_version, require_installed

Origin = Literal["packaged", "local", "hub"]

# hub repo names: letters, digits, '-', '_', '.'; no leading/trailing '-' or '.', no '--' or '..'
_HUB_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")


@dataclass(frozen=True)
class ModelSource:
    name: str  # as the user gave it
    path: str  # a local folder (absolute) or a hub id: what from_pretrained receives
    origin: Origin
    package: str | None = None  # registry package for packaged models
    revision: str | None = None  # that package's installed version
    fingerprint: str | None = None  # of the GGUF a converted folder came from


def is_hub_id(name: str) -> bool:
    """'org/name' or a bare legacy 'name' (gpt2, bert-base-uncased)."""
    parts = name.split("/")
    return (
        len(parts) <= 2
        and all(_HUB_PART.fullmatch(part) for part in parts)
        and ".." not in name
        and "--" not in name
    )


def looks_like_path(name: str) -> bool:
    """Names a user clearly meant as a filesystem path rather than a hub id."""
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1 or name.endswith("/")


def check_model(name: str) -> Origin:
    """What `resolve_model` would find, checked without loading or converting anything: a preflight
    for sweeps. An alias's package must be installed; a hub id must be cached when offline."""
    if name in MODEL_ALIASES:
        require_installed(name)
        return "packaged"
    origin = _classify(name)
    if origin == "hub" and _offline() \
            and not isinstance(huggingface_hub.try_to_load_from_cache(name, "config.json"), str):
        raise HarnessError(f"model {name} is not in the local hub cache and the hub is offline (HF_HUB_OFFLINE=1); "
                           "download it once with network access, or pass a local folder or a packaged name "
                           f"({', '.join(sorted(MODEL_ALIASES))})")
    return origin


def _offline() -> bool:
    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}
    return flag or bool(huggingface_hub.constants.HF_HUB_OFFLINE)


def resolve_model(name: str) -> ModelSource:
    """Classify `name` and, for packaged aliases, return the ready folder (converting once)."""
    if name in MODEL_ALIASES:
        model, located = locate_packaged(name)
        return ModelSource(
            name=name,
            path=str(located.folder),
            origin="packaged",
            package=model.package,
            revision=package_version(model.package),
            fingerprint=located.fingerprint,
        )
    if _classify(name) == "local":
        return ModelSource(name=name, path=str(Path(name).expanduser().resolve()), origin="local")
    return ModelSource(name=name, path=name, origin="hub")


def _classify(name: str) -> Origin:
    """A local folder or a hub id (HarnessError for anything else); aliases are handled before."""
    if not name.strip():  # Path("") would mean the current folder
        raise HarnessError(f"model name is empty; give one of {', '.join(sorted(MODEL_ALIASES))}, a folder or a hub id")
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise HarnessError(
                f"model folder {name} has no config.json; --model needs a transformers model folder "
                "(config.json, weights, tokenizer files)"
            )
        return "local"
    if path.exists():
        raise HarnessError(f"model {name} is a file; --model takes a model folder containing config.json")
    if looks_like_path(name):
        raise HarnessError(f"model folder {name} not found; pass a folder that holds config.json, a hub id like "
                           f"org/name, or one of {', '.join(sorted(MODEL_ALIASES))}")
    if is_hub_id(name):
        close = difflib.get_close_matches(name, MODEL_ALIASES, n=1, cutoff=0.75)
        if "/" not in name and close:
            # A bare name one typo away from a short name is a typo, not a legacy hub id.
            raise unknown_name("model", name, MODEL_ALIASES)
        return "hub"
    raise HarnessError(
        f"model '{name}' is neither a packaged alias ({', '.join(sorted(MODEL_ALIASES))}), "
        "a local folder, nor a hub id like org/name"
    )
