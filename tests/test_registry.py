"""harness/registry.py: the one registry methods, variants, metrics and perturbations share."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata

import pytest

from harness.errors import HarnessError
from harness.registry import NameTaken, Registry

GROUP = "harness.tests.widgets"


@dataclass(frozen=True)
class Widget:
    name: str
    size: int = 1


def _entry_points(monkeypatch, *values: str) -> list[str]:
    """Entry points of GROUP naming `values`; returns the names the loader was asked for, per call."""
    calls: list[str] = []
    points = [metadata.EntryPoint(name=f"p{i}", value=value, group=GROUP) for i, value in enumerate(values)]

    def entry_points(group):
        calls.append(group)
        return points if group == GROUP else []

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    return calls


def test_register_get_and_list_in_registration_order():
    widgets = Registry("widget", GROUP)
    small = widgets.register(Widget("small"))
    assert widgets.register(Widget("large", 9)) == Widget("large", 9)
    assert widgets.get("small") is small and widgets["small"] is small
    assert widgets.names() == ["small", "large"] == list(widgets) and len(widgets) == 2
    assert "large" in widgets and "medium" not in widgets
    assert widgets.all() == {"small": small, "large": Widget("large", 9)}
    assert widgets.unregister("large") == Widget("large", 9) and widgets.names() == ["small"]


def test_unknown_names_say_what_was_meant():
    widgets = Registry("widget", GROUP)
    for name in ("small", "smaller", "large"):
        widgets.register(Widget(name))
    with pytest.raises(HarnessError, match=r"^unknown widget 'smal'; did you mean small, smaller\? "
                                           r"\(valid: large, small, smaller\)$"):
        widgets.get("smal")


def test_a_taken_name_is_refused_unless_replaced():
    widgets = Registry("widget", GROUP)
    first = widgets.register(Widget("small"))
    assert widgets.register(first) is first  # the same item again is harmless
    with pytest.raises(NameTaken, match="widget name 'small' is taken: another widget is already registered"):
        widgets.register(Widget("small", 2))
    assert issubclass(NameTaken, HarnessError) and issubclass(NameTaken, ValueError)
    widgets.register(Widget("small", 2), replace=True)
    assert widgets.get("small").size == 2
    with pytest.raises(HarnessError, match="cannot register 3 as a widget: it has no name"):
        widgets.register(3)


def test_check_runs_before_anything_is_registered():
    def check(item):
        if item.size < 1:
            raise HarnessError(f"widget {item.name} is too small")

    widgets = Registry("widget", GROUP, check=check)
    with pytest.raises(HarnessError, match="too small"):
        widgets.register(Widget("tiny", 0))
    assert widgets.names() == []


def test_entry_points_are_read_once_in_every_form(tmp_path, monkeypatch):
    (tmp_path / "widget_plugin.py").write_text(
        "from test_registry import Widget\n"
        "ONE = Widget('one')\n"
        "SEVERAL = [Widget('two'), Widget('three')]\n")
    (tmp_path / "widget_module.py").write_text("from test_registry import Widget\nWIDGETS = [Widget('four')]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    calls = _entry_points(monkeypatch, "widget_plugin:ONE", "widget_plugin:SEVERAL", "widget_module")
    widgets = Registry("widget", GROUP, listing="WIDGETS")
    widgets.register(Widget("builtin"))
    assert widgets.names() == ["builtin", "one", "two", "three", "four"]
    widgets.get("one"), widgets.all()
    assert calls == [GROUP]
    for module in ("widget_plugin", "widget_module"):
        monkeypatch.delitem(sys.modules, module)


def test_a_plugin_replaces_a_builtin_only_where_allowed(tmp_path, monkeypatch):
    (tmp_path / "widget_override.py").write_text("from test_registry import Widget\nBIG = Widget('builtin', 5)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _entry_points(monkeypatch, "widget_override:BIG")
    lenient = Registry("widget", GROUP, plugins_replace=True)
    lenient.register(Widget("builtin"))
    assert lenient.get("builtin").size == 5
    strict = Registry("widget", GROUP)
    strict.register(Widget("builtin"))
    with pytest.raises(NameTaken):
        strict.names()
    monkeypatch.delitem(sys.modules, "widget_override")


def test_a_broken_plugin_package_is_named(monkeypatch):
    _entry_points(monkeypatch, "no_such_widget_module:X")
    with pytest.raises(HarnessError, match=r"cannot load entry point 'p0' \(no_such_widget_module:X\) of group "
                                           r"harness.tests.widgets: .*fix or uninstall the package"):
        Registry("widget", GROUP).get("anything")
