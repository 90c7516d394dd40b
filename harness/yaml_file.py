"""Reading a user's YAML file whose top level is a mapping: every failure is one line naming the file and the fix.

Each caller describes its kind of file once, as a `YamlFile`: how messages name it, what
its mapping holds, and what to do when it cannot be read or parsed. The reading itself,
and the wording of each failure, live only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has it


@dataclass(frozen=True)
class YamlFile:
    """One kind of YAML file, as its error messages speak of it."""

    name: str  # the file in a message, with {path}: "sweep file {path}"
    holds: str  # what its top-level mapping holds: "a mapping with models, methods, tasks, seeds"
    if_unreadable: str  # what to do when it is missing or cannot be read
    if_invalid: str  # what to do when its YAML is broken
    empty_is_mapping: bool = False  # an empty file reads as {} instead of failing


def read_mapping(path: Path, kind: YamlFile) -> dict[str, Any]:
    """The file's top-level mapping, or a HarnessError for a missing, unreadable, non-UTF-8,
    invalid or non-mapping file."""
    name = kind.name.format(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HarnessError(f"{name} not found; {kind.if_unreadable}") from None
    except OSError as exc:
        raise HarnessError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__}); "
                           f"{kind.if_unreadable}") from None
    except UnicodeDecodeError as exc:
        raise HarnessError(f"{name}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from None
    try:
        content = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise HarnessError(f"{name}: not valid YAML: {_problem(exc)}; {kind.if_invalid}") from None
    if content is None and kind.empty_is_mapping:
        return {}
    if not isinstance(content, dict):
        found = "nothing" if content is None else type(content).__name__
        raise HarnessError(f"{name}: expected {kind.holds}, found {found}")
    return content


def _problem(exc: yaml.YAMLError) -> str:
    """'line 3: expected ...' where PyYAML knows the place, else its first line."""
    mark = getattr(exc, "problem_mark", None)
    line = f"line {mark.line + 1}: " if mark is not None else ""
    return line + (getattr(exc, "problem", None) or str(exc).splitlines()[0])
