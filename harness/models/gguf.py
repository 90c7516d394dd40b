"""GGUF weights -> a cached transformers folder, converted once per GGUF file.

Loading a GGUF through transformers dequantises every tensor (30-80 s on a CPU). Saving the
result once as an ordinary folder (config, float32 safetensors, tokenizer) makes later loads
take seconds. The cache entry is keyed by a fingerprint of the GGUF, so a new package version
converts again, and appears atomically: a half-written conversion never looks valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from harness.errors import HarnessError

try:  # POSIX only; without it two processes converting at once are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

HEAD_BYTES = 4 * 1024 * 1024  # hashing the head is enough to tell package versions apart
COMPLETE_MARKER = ".harness-complete"  # written last, inside the temp folder, before the rename

Converter = Callable[[Path], None]  # fills an empty folder with a transformers model


def cache_root() -> Path:
    """Where converted models live: $HARNESS_CACHE, else ~/.cache/harness."""
    env = os.environ.get("HARNESS_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "harness"


def fingerprint_files(paths: Iterable[Path]) -> str:
    """Short hash of each file's size and first MBs, in order (cheap on 100+ MB files)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.stat().st_size).encode())
        with path.open("rb") as handle:
            digest.update(handle.read(HEAD_BYTES))
    return digest.hexdigest()[:16]


def is_complete(folder: Path) -> bool:
    """A cache entry counts only once its marker exists (it is written just before the rename)."""
    return (folder / COMPLETE_MARKER).is_file()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock: a second process waits here until the first has finished."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_cached(target: Path, build: Converter, message: str | None = None) -> Path:
    """Return `target`, running `build(temp_folder)` first if no complete entry exists.

    The build writes into a temporary folder beside `target` (same filesystem) that is renamed
    into place only when complete; a crash leaves a `.tmp-*` folder that is never mistaken for
    a model and is swept by the next conversion of the same entry.
    """
    if is_complete(target):
        return target
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    with file_lock(parent / f".{target.name}.lock"):
        if is_complete(target):  # another process finished while we waited
            return target
        _sweep_leftovers(target)
        if message:
            print(message, file=sys.stderr, flush=True)
        temp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=parent))
        try:
            build(temp)
            (temp / COMPLETE_MARKER).write_text("ok\n")
            temp.chmod(0o755)  # mkdtemp makes it private; the cache entry is an ordinary folder
            os.replace(temp, target)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    return target


def _sweep_leftovers(target: Path) -> None:
    """Under the lock, any temp folder or incomplete target is from a process that died."""
    for stale in target.parent.glob(f".tmp-{target.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()


def require_gguf_package() -> None:
    """transformers needs the `gguf` package to read GGUF files; say how to get it."""
    import importlib.util

    if importlib.util.find_spec("gguf") is None:
        raise HarnessError("reading GGUF weights needs the gguf package: pip install gguf")


def convert_gguf(gguf_file: Path, out: Path) -> None:
    """Dequantise a causal-LM GGUF into `out` as config + float32 safetensors + tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    folder, name = str(gguf_file.parent), gguf_file.name
    # dequantize=True gives plain Linear layers even where a GGUF matmul kernel is installed;
    # float32 keeps the dequantised values exactly (bf16 would round them a second time)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True)
    )
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:  # a GGUF quantizer refuses to save; the weights are dense already
        quantizer.remove_quantization_config(model)
    model.save_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    tokenizer.save_pretrained(out)
