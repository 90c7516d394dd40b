"""An installed package's entry point, imitated: a module on sys.path exposed under a registry's group."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pytest

from harness.registry import Registry


@contextmanager
def installed_plugin(monkeypatch: pytest.MonkeyPatch, folder: Path, registry: Registry, module: str, source: str,
                     attribute: str) -> Iterator[None]:
    """`module` (written from `source` into `folder`) names `attribute` under the registry's entry-point group;
    what the plugin registered and the module are gone afterwards."""
    before = set(registry.all())  # with the real entry points, before the plugin's is there
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    point = metadata.EntryPoint(name=attribute.lower(), value=f"{module}:{attribute}", group=registry.group)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [point] if group == registry.group else [])
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    try:
        yield
    finally:
        for name in set(registry.all()) - before:
            registry.unregister(name)
        sys.modules.pop(module, None)
