"""Paired comparisons of two entries: difference interval, p-values, Holm, verdict.

Both entries' bootstrap values must come from the same resamples (same :class:`Resampler`), so
``d_r = a_r - b_r`` is the difference on resample ``r``; resamples where either is NaN are dropped.

Two-sided paired bootstrap p-value
----------------------------------
With ``R`` defined differences, ``n_le = #{d_r <= 0}`` and ``n_ge = #{d_r >= 0}``::

    p = min(1, 2 * (1 + min(n_le, n_ge)) / (R + 1))

the share of resamples on the far side of 0 (ties at 0 count against the difference), doubled
for two sides, with the +1 correction that counts the observed data as one resample and keeps
p > 0. It is the p-value that matches the percentile interval: the level ``1 - alpha`` interval
of ``d`` excludes 0 about when ``p < alpha``. The smallest attainable p is ``2 / (R + 1)``: with
Holm over ``m`` comparisons, use ``R >= 2 m / alpha`` resamples or nothing can be significant.

Verdict
-------
``better`` / ``worse`` when the (Holm-adjusted) p-value is below ``alpha = 1 - level``, by the
side of 0 where most differences lie and the metric's direction; ``not distinguishable``
otherwise. The difference interval is per comparison (not adjusted); the verdict is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import binomtest

from evalkit.errors import ConfigError, DataError
from evalkit.uncertainty.intervals import percentile_interval

Verdict = Literal["better", "not distinguishable", "worse"]


@dataclass(frozen=True)
class PairedComparison:
    """A minus B on paired resamples.

    Attributes
    ----------
    difference : float
        ``estimate_a - estimate_b`` on the full data.
    lower, upper : float
        Percentile interval of the bootstrap differences at ``level``.
    p_value : float
        Two-sided paired bootstrap p-value (unadjusted), see the module docstring.
    a_higher : bool or None
        True when more differences are > 0 than < 0, False for the reverse, None when balanced.
    n_resamples : int
        Resamples where both values are defined.
    """

    difference: float
    lower: float
    upper: float
    level: float
    p_value: float
    a_higher: bool | None
    n_resamples: int


def paired_comparison(
    values_a: np.ndarray,
    values_b: np.ndarray,
    level: float,
    *,
    estimate_a: float,
    estimate_b: float,
) -> PairedComparison:
    """Compare entry A with entry B on the same resamples.

    Examples
    --------
    >>> a = np.array([0.8, 0.7, 0.9, 0.85]); b = np.array([0.6, 0.65, 0.7, 0.9])
    >>> c = paired_comparison(a, b, 0.9, estimate_a=0.8, estimate_b=0.7)
    >>> c.a_higher, c.p_value
    (True, 0.8)
    """
    a = np.asarray(values_a, dtype=np.float64)
    b = np.asarray(values_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise DataError(
            "paired bootstrap values should be 1-d arrays over the same resamples, "
            f"got shapes {a.shape} and {b.shape}."
        )
    d = a - b
    d = d[~np.isnan(d)]
    lower, upper, _ = percentile_interval(d, level)
    if d.size == 0:
        return PairedComparison(estimate_a - estimate_b, lower, upper, level, float("nan"), None, 0)
    n_le = int(np.count_nonzero(d <= 0))
    n_ge = int(np.count_nonzero(d >= 0))
    p_value = min(1.0, 2 * (1 + min(n_le, n_ge)) / (d.size + 1))
    n_gt = d.size - n_le
    n_lt = d.size - n_ge
    a_higher = None if n_gt == n_lt else n_gt > n_lt
    return PairedComparison(
        float(estimate_a - estimate_b), lower, upper, level, p_value, a_higher, int(d.size)
    )


def holm_adjust(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the input order.

    Sorted ascending, the i-th smallest (1-based) becomes ``max over j <= i of min(1, (m - j + 1)
    p_(j))``; rejecting where the adjusted p < alpha is Holm's step-down procedure. NaN p-values
    stay NaN and do not count in ``m``.

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03, 0.005]).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    defined = np.flatnonzero(~np.isnan(p))
    m = defined.size
    order = defined[np.argsort(p[defined], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test on the discordant pairs of two classifiers.

    ``a_only``: items A gets right and B wrong; ``b_only``: the reverse. ``p_value`` is
    ``scipy.stats.binomtest(a_only, a_only + b_only, 0.5).pvalue``, and 1.0 without discordant pairs.
    """

    a_only: int
    b_only: int
    p_value: float


def mcnemar_exact(y_true: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray) -> McNemar:
    """Exact (binomial) McNemar test of accuracy for two entries' labels on the same items.

    Examples
    --------
    >>> y = np.array([1, 1, 1, 1, 0, 0]); a = np.array([1, 1, 1, 1, 0, 1]); b = np.array([0, 0, 1, 1, 0, 1])
    >>> mcnemar_exact(y, a, b)
    McNemar(a_only=2, b_only=0, p_value=0.5)
    """
    y = np.asarray(y_true)
    a = np.asarray(labels_a)
    b = np.asarray(labels_b)
    if not y.shape == a.shape == b.shape or y.ndim != 1:
        raise DataError(
            "y_true, labels_a and labels_b should be 1-d of equal length, "
            f"got shapes {y.shape}, {a.shape}, {b.shape}."
        )
    right_a = a == y
    right_b = b == y
    a_only = int(np.count_nonzero(right_a & ~right_b))
    b_only = int(np.count_nonzero(~right_a & right_b))
    if a_only + b_only == 0:
        # No discordant pair: no evidence either way (binomtest needs at least one trial).
        return McNemar(a_only, b_only, 1.0)
    return McNemar(a_only, b_only, float(binomtest(a_only, a_only + b_only, 0.5).pvalue))


def verdict(p_value: float, a_higher: bool | None, *, alpha: float, higher_is_better: bool) -> Verdict:
    """``better`` / ``not distinguishable`` / ``worse`` for A against B.

    Parameters
    ----------
    p_value : float
        The comparison's p-value, Holm-adjusted when several comparisons are made.
    a_higher : bool or None
        Whether A's metric is higher, :attr:`PairedComparison.a_higher`.
    alpha : float
        ``1 - level``.
    higher_is_better : bool
        The metric's direction, from the metric registry.

    Examples
    --------
    >>> verdict(0.01, True, alpha=0.05, higher_is_better=False)
    'worse'
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha={alpha!r} is not valid. It should be strictly between 0 and 1.")
    if a_higher is None or not p_value < alpha:  # NaN p-values are never significant
        return "not distinguishable"
    return "better" if a_higher == higher_is_better else "worse"
