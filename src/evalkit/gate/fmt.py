"""Number formatting shared by the gate's messages and outputs, so every output shows the same digits."""

from __future__ import annotations

import math


def fmt(value: float | None) -> str:
    """Four decimals for everyday magnitudes, significant digits otherwise; ``—`` for no value.

    >>> fmt(0.98076923), fmt(23.99), fmt(0.00012), fmt(None)
    ('0.9808', '23.9900', '0.00012', '—')
    """
    if value is None or isinstance(value, bool):
        return "—"
    if not math.isfinite(value):
        return str(value)
    if value == 0 or 0.001 <= abs(value) < 1000:
        return f"{value:.4f}"
    return f"{value:.4g}"


def fmt_signed(value: float) -> str:
    """A difference, with its sign: ``+0.0200``, ``-0.0500``."""
    return ("+" if value >= 0 else "-") + fmt(abs(value))
