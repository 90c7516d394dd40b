"""A click type for a declared range (harness/ranges.py): a flag is checked by the same declaration as a
sweep file or an API call, and shows the range in --help."""

from __future__ import annotations

import click

from harness.ranges import Range


class RangeType(click.ParamType):
    def __init__(self, declared: Range) -> None:
        self.declared = declared
        self.name = "integer" if declared.kind is int else "float"

    def convert(self, value, param, ctx):
        # HarnessError, not click's own: a flag's error reads exactly as the same value's from a sweep file
        flag = max(param.opts, key=len) if param is not None and param.opts else "value"
        return self.declared.check(flag, value)

    def get_metavar(self, param, ctx=None) -> str:
        return f"{'INTEGER' if self.declared.kind is int else 'FLOAT'} {self.declared.interval()}"


def ranged(declared: Range) -> RangeType:
    return RangeType(declared)
