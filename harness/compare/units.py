"""Numbers in human units for the comparison tables: "1.2M (0.5%)", "85 MB", "120 ex/s"."""

from __future__ import annotations

import math

MISSING = "–"  # a cost no run recorded, or a score that is undefined


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _three_digits(value: float) -> str:
    """About three significant digits without exponent: 1.23, 12.3, 123."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def count(value: float | None) -> str:
    """12, 850K, 1.2M, 22.7M, 1.3B."""
    if not _known(value):
        return MISSING
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return _three_digits(value / size) + suffix
    return f"{value:.0f}"


def share(value: float | None) -> str:
    """A fraction as a percentage: 1.0 -> 100%, 0.0132 -> 1.3%, 0.005 -> 0.5%, 0.00012 -> 0.012%."""
    if not _known(value):
        return MISSING
    percent = 100 * value
    if percent == 0 or percent >= 10:
        return f"{percent:.0f}%"
    if percent >= 1:
        return f"{percent:.1f}".removesuffix(".0") + "%"
    return f"{percent:.2g}%"


def parameters(trainable: float | None, trainable_share: float | None) -> str:
    """'1.2M (0.5%)'."""
    if not _known(trainable):
        return MISSING
    return f"{count(trainable)} ({share(trainable_share)})" if _known(trainable_share) else count(trainable)


def size_bytes(value: float | None) -> str:
    """Decimal units, as disks and download pages count: 85 MB, 1.2 GB."""
    if not _known(value):
        return MISSING
    for size, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if value >= size:
            return f"{_three_digits(value / size)} {suffix}"
    return f"{value:.0f} B"


def memory_mb(value: float | None, kind: str | None = None) -> str:
    """'850 MB', '1.2 GB (cuda)'; the kind says what was measured (process RSS or CUDA peak)."""
    if not _known(value):
        return MISSING
    text = size_bytes(value * 1e6)
    return f"{text} ({kind})" if kind else text


def rate(value: float | None) -> str:
    """'120 ex/s', '3.4 ex/s', '12,345 ex/s'."""
    if not _known(value):
        return MISSING
    return f"{value:,.0f} ex/s" if value >= 100 else f"{_three_digits(value)} ex/s"


def seconds(value: float | None) -> str:
    """'45 s', '12.5 min', '3.2 h'."""
    if not _known(value):
        return MISSING
    if value < 120:
        return f"{_three_digits(value)} s"
    if value < 7200:
        return f"{_three_digits(value / 60)} min"
    return f"{_three_digits(value / 3600)} h"


def score(value: float | None) -> str:
    return f"{value:.3f}" if _known(value) else MISSING


def signed(value: float | None) -> str:
    return f"{value:+.3f}" if _known(value) else MISSING


def interval(bounds: tuple[float, float] | None) -> str:
    if bounds is None or not all(_known(b) for b in bounds):
        return MISSING
    return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"


def p_value(value: float | None, n_boot: int | None = None) -> str:
    """'0.31', '0.004'; a bootstrap p of 0 is only below its resolution: '< 0.001' for 1000 resamples."""
    if not _known(value):
        return MISSING
    if value == 0:
        return f"< {1 / n_boot:g}" if n_boot else "< 1e-16"
    if value >= 0.995:
        return "1"
    return f"{value:.2f}" if value >= 0.01 else f"{value:.2g}"
