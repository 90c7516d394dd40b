"""Reading a user's YAML file whose top level is a mapping: every failure is one line naming the file and the fix.

Each caller describes its kind of file once, as a `YamlFile`: how messages name it, what
its mapping holds, and what to do when it cannot be read or parsed. The reading itself,
and the wording of each failure, live only here.

The reading is strict, so that a file means what it reads as: a key given twice (PyYAML
keeps the last silently), a key that is not text (`0:` is a number; the harness compares
keys with text), and anchors and aliases (a value defined elsewhere in the file) are
errors naming the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError



class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser when PyYAML has it
    """SafeLoader refusing duplicate keys, keys that are not text, and aliases."""

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects:  # a node met twice is an alias's target
            raise _Strict(f"line {node.start_mark.line + 1}: the value anchored here is used again through an "
                          "alias; anchors and aliases are not read in harness files: write the value out where used")
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node, deep=False):
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Strict(f"line {line}: merge key <<: is not read in harness files; write the keys out")
            if key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
                raise _Strict(f"line {line}: key {shown} is not text; quote it (\"{shown}\")")
            if key_node.value in seen:
                raise _Strict(f"line {line}: key '{key_node.value}' is given twice (first on line "
                              f"{seen[key_node.value]}); keep one")
            seen[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


class _Strict(yaml.YAMLError):
    """A file PyYAML would read, but not as it reads to a person."""


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
        content = yaml.load(text, Loader=_StrictLoader)
    except _Strict as exc:
        raise HarnessError(f"{name}: {exc}") from None
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
