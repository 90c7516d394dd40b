"""What a run must ship to deploy its result: the trained weights only, and how to rebuild the rest.

Every method leaves trainable exactly what it changed, so the trained tensors plus the
base model and the method's options rebuild the fine-tuned model: for LoRA that is an
adapter file of a few hundred kilobytes, for full fine-tuning the whole model. Its size
on disk is the deployment cost recorded for every run.

Layout of an artifact folder: trained.safetensors and manifest.json.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.distributed.tensor import DTensor

from harness.errors import HarnessError
from harness.methods import get_method
from harness.models.layers import keep_layers
from harness.models.load import LoadedModel, load_task_model
from harness.models.sources import resolve_model
from harness.scale import BackboneSettings

WEIGHTS, MANIFEST = "trained.safetensors", "manifest.json"
# Buffers fitted from the training data rather than learnt (regression target scaling).
_FITTED_BUFFERS = ("target_shift", "target_scale")


def trained_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The tensors training changed: trainable parameters and fitted buffers.

    Read from state_dict(), where FSDP2 keeps parameters sharded (DTensors); those are
    gathered whole, so under FSDP every process must call this and each gets full tensors.
    """
    names = {name for name, p in model.named_parameters() if p.requires_grad}
    names.update(name for name, _ in model.named_buffers() if name.rsplit(".", 1)[-1] in _FITTED_BUFFERS)
    return {name: _whole(tensor.detach()).to("cpu").contiguous().clone()
            for name, tensor in model.state_dict().items() if name in names}


def _whole(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.full_tensor() if isinstance(tensor, DTensor) else tensor


def model_bytes(model: nn.Module) -> int:
    """Bytes of every parameter of the model, each shared tensor counted once (the whole-model size)."""
    unique = {id(p): p for p in model.parameters()}
    return sum(p.numel() * p.element_size() for p in unique.values())


def save_trained(model: nn.Module | dict[str, torch.Tensor], folder: Path, manifest: dict[str, Any]) -> int:
    """Write the artifact (from the model or its `trained_state`); returns the weights file's size in bytes."""
    staging = folder.with_name(f".{folder.name}.tmp")  # filled whole, then renamed: never a half-saved model
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        save_file(model if isinstance(model, dict) else trained_state(model), str(staging / WEIGHTS))
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if folder.exists():  # --force over a saved model
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except (OSError, SafetensorError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise HarnessError(f"cannot save the model to {folder} ({getattr(exc, 'strerror', None) or exc}); free "
                           "space there or pass --results DIR with room for it, or leave out --save-model") from None
    return (folder / WEIGHTS).stat().st_size


@dataclass
class TrainedModel:
    model: nn.Module
    loaded: LoadedModel
    manifest: dict[str, Any]


def load_trained(folder: Path | str) -> TrainedModel:
    """Rebuild a saved run's model: base model, method applied, trained tensors loaded."""
    folder = Path(folder)
    if not (folder / WEIGHTS).is_file() or not (folder / MANIFEST).is_file():
        raise HarnessError(f"{folder} is not a saved model (needs {WEIGHTS} and {MANIFEST}); "
                           "save one with `harness run ... --save-model`")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    spec = manifest["spec"]
    source = resolve_model(spec["model"])
    loaded = load_task_model(source.path, manifest["task_kind"], manifest["num_labels"], spec["pooling"],
                             settings=BackboneSettings.of(spec))  # a QLoRA adapter sits on the base it trained on
    if spec.get("student_layers"):  # a student cut down to fewer layers: cut the same way before loading
        keep_layers(loaded.model.backbone, spec["student_layers"])
    method = get_method(spec["method"])
    model = method.prepare(loaded.model, spec["method_options"], manifest["total_updates"])
    state = load_file(str(folder / WEIGHTS))
    missing = set(state) - set(model.state_dict())
    if missing:
        raise HarnessError(f"{folder}: {len(missing)} saved tensors do not fit the rebuilt model "
                           f"(first: {sorted(missing)[0]}); was it saved by another version of the method?")
    model.load_state_dict(state, strict=False)
    model.eval()
    return TrainedModel(model=model, loaded=loaded, manifest=manifest)
