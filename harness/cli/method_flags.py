"""--<method>-<option> flags for every method's options (plugins included), and their owners.

A flag given for a method other than the one (or ones) chosen is a conflict, never
silently ignored.
"""

from __future__ import annotations

from typing import Any

import click

from harness.cli.range_type import ranged
from harness.errors import HarnessError
from harness.methods import all_methods, option_flag

_OWNERS: dict[str, tuple[str, str]] = {}  # click parameter name -> (method, option)


def method_option_flags(command):
    """Decorator adding one flag per method option; values arrive in kwargs under private names."""
    for method in reversed(list(all_methods().values())):
        for option in reversed(method.options):
            parameter = f"method_option_{len(_OWNERS)}"
            _OWNERS[parameter] = (method.name, option.name)
            kind = ranged(option.range) if option.range is not None else option.type
            command = click.option(option_flag(method.name, option.name), parameter, type=kind, default=None,
                                   help=f"[{method.name}] {option.help} (default {option.default})")(command)
    return command


def pop_method_options(kwargs: dict[str, Any], methods: list[str]) -> dict[str, dict[str, Any]]:
    """Given options by method (removed from kwargs); options of a method not chosen are refused."""
    chosen: dict[str, dict[str, Any]] = {method: {} for method in methods}
    conflicts = []
    for parameter in [k for k in kwargs if k in _OWNERS]:
        value = kwargs.pop(parameter)
        if value is None:
            continue
        owner, name = _OWNERS[parameter]
        if owner in chosen:
            chosen[owner][name] = value
        else:
            conflicts.append(option_flag(owner, name))
    if conflicts:
        which = " or ".join(methods)
        raise HarnessError(f"{', '.join(conflicts)} only apply to another method, not to --method {which}; "
                           "remove them or change the method")
    return chosen
