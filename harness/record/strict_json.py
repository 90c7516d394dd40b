"""JSON that strict parsers read: no NaN or infinity anywhere in a record, a predictions row or --json output.

A figure that could not be measured (a speed over zero seconds) is written as null. Outputs
that matter are never non-finite by the time they get here: a model whose outputs are not
finite fails its run in `harness.predict` before anything is recorded.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """The value with every NaN and infinity (at any depth) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def dumps(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(finite(value), indent=indent, ensure_ascii=False, allow_nan=False)
