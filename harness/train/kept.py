"""The copies of the trainable weights the loop keeps: the untrained ones (to start over after running out
of memory, and the best state until an epoch beats them) and the best epoch's.

Training on an accelerator, a copy lives in CPU memory, which training barely uses. Training on the CPU,
it would take the very memory training needs (a whole model's worth under full fine-tuning), so it is
written to a temporary file and mapped back: its pages are read from disk only when the copy is loaded.
The file is unlinked at once (the mapping keeps it readable) so nothing is left behind. Put TMPDIR on a
disk, not on a tmpfs, for the saving to be real.
"""

from __future__ import annotations

import os
import tempfile

import torch
from accelerate import Accelerator
from torch import nn

from harness.errors import RunFailed
from harness.train.sharding import is_sharded


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of the trainable tensors in CPU memory."""
    return {name: tensor.to("cpu", copy=True) for name, tensor in _trainable_tensors(model).items()}


def kept_copy(model: nn.Module, accelerator: Accelerator) -> dict[str, torch.Tensor]:
    """A copy of `model`'s trainable tensors that later training does not change, held where it costs
    training no memory. A mapped copy is written straight from the model's tensors: none in memory on the way."""
    return _mapped(_trainable_tensors(model)) if spills_to_disk(accelerator) else trainable_state(model)


def _trainable_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trainable tensors themselves (detached, not copied), from state_dict(): under FSDP2 that holds each
    process's shards (DTensors), which named_parameters() does not while a forward keeps weights gathered."""
    trainable = {name for name, parameter in model.named_parameters() if parameter.requires_grad}
    return {name: tensor.detach() for name, tensor in model.state_dict().items() if name in trainable}


def kept_tensors(tensors: dict[str, torch.Tensor], accelerator: Accelerator) -> dict[str, torch.Tensor]:
    """Tensors already copied (a checkpoint's best state), moved where a kept copy lives."""
    return _mapped(tensors) if tensors and spills_to_disk(accelerator) else tensors


def spills_to_disk(accelerator: Accelerator) -> bool:
    """Whether copies go to a mapped file: training on the CPU, unsharded (FSDP keeps DTensor shards), on a
    system that lets a mapped file be unlinked."""
    return accelerator.device.type == "cpu" and not is_sharded(accelerator) and os.name == "posix"


def _mapped(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`tensors` written to a temporary file and mapped back; the file is unlinked at once."""
    try:
        handle, path = tempfile.mkstemp(prefix="harness-kept-", suffix=".pt")
    except OSError as exc:
        raise _no_room(exc) from None
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(tensors, file)
        return torch.load(path, mmap=True, weights_only=True, map_location="cpu")
    except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as a RuntimeError
        raise _no_room(exc) from None
    finally:
        os.unlink(path)


def _no_room(exc: Exception) -> RunFailed:
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:200]
    return RunFailed(f"could not keep a copy of the trainable weights in {tempfile.gettempdir()} ({reason}); free "
                     "space there or set TMPDIR to a folder on a disk with room (a copy is as large as the weights)")
