"""Format axes by name: the built-ins plus plugins (entry point group "harness.prompt_formats", or `register`),
and the formats they give a prompt."""

from __future__ import annotations

from harness.errors import HarnessError
from harness.prompt_spread.axes import BUILTIN
from harness.prompt_spread.formats import Axis, Format, draw_from
from harness.registry import Registry
from harness.tasks.prompts import Prompt

ENTRY_POINT_GROUP = "harness.prompt_formats"


def _check(axis: Axis) -> None:
    if not isinstance(axis, Axis):
        raise HarnessError(f"cannot register {axis!r} as a format axis: it is not an instance of "
                           "harness.prompt_spread.Axis")
    where = f"format axis {type(axis).__module__}.{type(axis).__qualname__}"
    if not axis.name or not axis.name.replace("-", "").isalnum():
        raise HarnessError(f"{where} needs a `name` of letters, digits and hyphens")
    for method in ("options", "apply"):
        if getattr(type(axis), method) is getattr(Axis, method):
            raise HarnessError(f"{where} has no `{method}`; write it")


FORMAT_AXES: Registry[Axis] = Registry("format axis", ENTRY_POINT_GROUP, check=_check, listing="FORMAT_AXES")
for _axis in BUILTIN:
    FORMAT_AXES.register(_axis)


def draw_formats(prompt: Prompt, n: int, seed: int) -> list[Format]:
    """The prompt as written and n - 1 seeded formats over the registered axes (formats.draw_from)."""
    return draw_from(list(FORMAT_AXES.all().values()), prompt, n, seed)


def apply_format(form: Format | str, prompt: Prompt) -> Prompt:
    """`prompt` in a format (or a format's name, as a record keeps it) over the registered axes."""
    return (Format.parse(form) if isinstance(form, str) else form).apply(prompt, FORMAT_AXES.all())
