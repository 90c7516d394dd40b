"""Sharded weights: FSDP2 through accelerate, and what it changes for the harness.

Under FSDP each process holds a shard of every parameter and every forward all-gathers
them, so every process must take part in every forward (evaluation runs in lockstep, see
predict.py) and saving gathers whole tensors first (artifact.py). The launch flags stay
accelerate's own: `accelerate launch --use_fsdp --fsdp_version 2 ...` or a config file with
`distributed_type: FSDP` and `fsdp_version: 2`; accelerate hands them over as FSDP_*
variables, read here. FSDP1 (flat parameters) and DeepSpeed are refused in one line.
"""

from __future__ import annotations

import os
from typing import Any

from accelerate import Accelerator, PartialState
from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin

from harness.errors import HarnessError
from harness.methods import all_methods

# Every other training method was run under FSDP2 on 2 CPU processes and its saved model
# re-evaluated identically (tests/test_fsdp.py keeps full and lora). Refused, with the reason:
_REFUSED_METHODS = {
    "adalora": "peft's rank allocator reads each weight and gradient whole, and FSDP holds shards",
}


def fsdp_requested() -> bool:
    """Whether the launcher asked for FSDP (accelerate launch --use_fsdp, or a config file's distributed_type: FSDP)."""
    return os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true"


def check_sharded_launch(method: str | None = None, variant: str | None = None) -> None:
    """One line for sharded launches the harness cannot run, before anything loads."""
    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true":
        raise HarnessError("DeepSpeed launches are not supported; shard weights with FSDP2 (accelerate launch "
                           "--use_fsdp --fsdp_version 2) or use data parallelism (accelerate launch --multi_gpu)")
    if not fsdp_requested():
        return
    version = os.environ.get("FSDP_VERSION", "1").strip()
    if version != "2":
        raise HarnessError(f"FSDP version {version} is not supported; launch with --fsdp_version 2 (or fsdp_version: 2 "
                           "in the accelerate config file)")
    if method in _REFUSED_METHODS:
        works = ", ".join(sorted({name for name, m in all_methods().items() if m.trains} - set(_REFUSED_METHODS)))
        raise HarnessError(f"method {method} cannot train under FSDP ({_REFUSED_METHODS[method]}); under FSDP use "
                           f"one of: {works}, or launch without --use_fsdp (data parallelism)")
    if variant:
        raise HarnessError(f"--variant {variant} is not supported under FSDP (variants transform a whole model, FSDP "
                           "holds shards); run it without --use_fsdp")


def load_whole_on_every_process() -> None:
    """Turn off accelerate's rank-0-only loading (on by default for --use_fsdp), before Accelerator() reads it.

    The harness loads the model in every process before accelerate starts, so that loading
    would save nothing; and it fails on persistent buffers that are not parameters (the
    head's regression target scaling). Every process builds the same model from the same
    seed, and each keeps its own shard of it.
    """
    if fsdp_requested():
        os.environ["FSDP_CPU_RAM_EFFICIENT_LOADING"] = "false"


def follow_fsdp_launch(accelerator: Accelerator) -> None:
    """Give CPU processes the FSDP2 the launch asked for.

    accelerate 1.15 turns FSDP on for accelerator devices only: CPU processes launched with
    --use_fsdp quietly train with DDP over gloo instead. Its FSDP2 code runs on CPU over
    gloo unchanged, so the harness switches the state to FSDP with the plugin accelerate
    builds from the same FSDP_* variables. On GPUs accelerate has already done so.
    """
    if fsdp_requested() and accelerator.distributed_type == DistributedType.MULTI_CPU:
        accelerator.state.fsdp_plugin = FullyShardedDataParallelPlugin()
        accelerator.state.distributed_type = DistributedType.FSDP
        # As accelerate does for GPUs: every later AcceleratorState() copies the type back from here.
        PartialState._shared_state["distributed_type"] = DistributedType.FSDP


def is_sharded(accelerator: Accelerator | None) -> bool:
    """True when parameters are sharded over processes (every forward then needs all of them)."""
    return accelerator is not None and accelerator.distributed_type == DistributedType.FSDP


def distribution_fields(accelerator: Accelerator) -> dict[str, Any]:
    """What the record says about how training was spread: `distributed`, and the sharding used under FSDP."""
    if not is_sharded(accelerator):
        return {"distributed": str(accelerator.distributed_type.value).lower()}
    plugin = accelerator.state.fsdp_plugin
    return {"distributed": f"fsdp{plugin.fsdp_version}",
            "sharding": {"fsdp_version": plugin.fsdp_version,
                         "reshard_after_forward": bool(plugin.reshard_after_forward),
                         "auto_wrap_policy": os.environ.get("FSDP_AUTO_WRAP_POLICY") or None,
                         "offload_params": os.environ.get("FSDP_OFFLOAD_PARAMS", "false").lower() == "true"}}
