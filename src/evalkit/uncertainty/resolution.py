"""How many resamples a run needs before its paired tests can call anything distinguishable.

A paired-bootstrap p-value from ``R`` resamples is at least ``2 / (R + 1)`` (see
:mod:`evalkit.uncertainty.comparison`), and Holm multiplies the smallest p-value of ``m`` comparisons
by ``m``. So unless ``2 m / (R + 1) < alpha`` every paired-bootstrap verdict is "not distinguishable",
whatever the data: the answer then reflects the resample count, not the models.

``bootstrap.resamples: auto`` (the default) picks ``max(1000, ceil(4 m / alpha))``, at most
:data:`AUTO_MAX`: the smallest attainable Holm-adjusted p-value is then at most half the level's
alpha, so a lead that holds in all but one resample is still resolved. A fixed count that cannot
reach the level is stated before the bootstrap runs (:func:`unresolvable`).

>>> auto_resamples(19, 0.95), auto_resamples(28, 0.95), auto_resamples(3, 0.95)
(1520, 2240, 1000)
>>> resamples_needed(28, 0.95)
1119
"""

from __future__ import annotations

import math

AUTO = "auto"
AUTO_MIN = 1000
AUTO_MAX = 20_000
# auto aims the smallest attainable Holm-adjusted p at alpha / 2 rather than just under alpha: at the bare
# minimum a single resample on the far side of 0 would already hide a real lead.
HEADROOM = 2


def smallest_p(resamples: int) -> float:
    """The smallest two-sided paired-bootstrap p-value ``R`` resamples can give: ``2 / (R + 1)``."""
    return 2 / (resamples + 1)


def resamples_needed(comparisons: int, level: float) -> int:
    """The fewest resamples for which Holm over ``comparisons`` tests can reach ``p < 1 - level``.

    >>> resamples_needed(1, 0.9)  # 2 / 20 = 0.1 is not below 0.1; 2 / 21 is
    20
    """
    alpha = 1 - level  # as the verdict computes it, so the boundary falls where the verdict's does
    count = max(1, math.floor(2 * comparisons / alpha))  # 2 m / (R + 1) < alpha, up to rounding
    while count > 1 and comparisons * smallest_p(count - 1) < alpha:
        count -= 1
    while not comparisons * smallest_p(count) < alpha:
        count += 1
    return count


def auto_resamples(comparisons: int, level: float) -> int:
    """The resample count ``auto`` resolves to for ``comparisons`` paired tests at ``level``."""
    alpha = 1 - level
    wanted = math.ceil(2 * HEADROOM * comparisons / alpha - 1e-9)
    return min(AUTO_MAX, max(AUTO_MIN, wanted))


def unresolvable(comparisons: int, level: float, resamples: int) -> str | None:
    """One line saying what ``resamples`` cannot resolve across ``comparisons`` tests, or None if it can.

    >>> unresolvable(28, 0.95, 1000)[:60]
    'with 1000 resamples and 28 paired comparisons the smallest p'
    >>> unresolvable(19, 0.95, 1000) is None
    True
    """
    alpha = 1 - level
    if comparisons < 1 or resamples < 1 or comparisons * smallest_p(resamples) < alpha:
        return None
    floor = smallest_p(resamples)
    return (f"with {resamples} resamples and {comparisons} paired comparisons the smallest p-value is "
            f"{floor:.3g}, {comparisons * floor:.3g} after Holm, not below {alpha:.2g}: no paired-bootstrap "
            "difference can be called distinguishable, however large, so 'not distinguishable' may only mean "
            f"too few resamples; set bootstrap.resamples=auto ({auto_resamples(comparisons, level)} here) or "
            f"at least {resamples_needed(comparisons, level)}")
