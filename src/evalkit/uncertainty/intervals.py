"""Confidence intervals from bootstrap values, with a Wilson fallback at 0% and 100%.

The interval is the percentile interval of the bootstrap values: the ``(1 - level) / 2`` and
``(1 + level) / 2`` quantiles (``np.quantile``, linear interpolation) of the resamples where the
metric is defined. Resamples where it is undefined (NaN) are left out and counted in
``Interval.n_undefined``.

When the percentile interval is replaced by a Wilson score interval
-------------------------------------------------------------------
Exactly when the metric is a proportion (``MetricSpec.proportion`` is set in the catalog) and its
value on the full data is exactly 0 or 1. Then no item ever counts against it (e.g. no error for
accuracy 100%), no resample can contain one, every defined resample gives the same value and the
percentile interval has zero width: it would claim certainty (lm-evaluation-harness #4070). The
Wilson interval is computed on the counts behind the metric instead:

* ``ratio`` metrics, one ratio of counts: accuracy = correct / items, precision = TP / predicted
  positive, recall = TP / true positive, and F1 = TP / (TP + (FP + FN) / 2), its Dice form.
* ``per_class`` metrics, an average of per-class ratios (balanced accuracy, the macro averages,
  f1_weighted): the Wilson bounds of each defined class, averaged with the metric's own class
  weights (equal, or true-class support for f1_weighted). This is a heuristic of ours, not a
  textbook interval; it is wider than a Wilson interval on pooled counts.

When a ranking metric's percentile interval is replaced
-------------------------------------------------------
A ROC AUC or average precision whose bootstrap values are all equal although both classes are
present (every positive ranked above every negative gives 1.0 on every resample) would claim
certainty too. Then, with ``P`` positives and ``N`` negatives on the full data (:class:`RankCounts`):

* ROC AUC gets the score interval of Newcombe (2006, "Confidence intervals for an effect size
  measure based on the Mann-Whitney statistic. Part 2", method 5): every ``theta`` with
  ``(estimate - theta)**2 <= z**2 V(theta)``, where ``V`` is Hanley and McNeil's (1982) variance of
  the AUC at ``theta``. Like Wilson's, it has width at 0 and 1.
* Average precision gets the Wilson interval of ``AP * P`` successes in ``P`` trials: at 1.0, the
  precision at the last positive (``P`` of ``P``). A heuristic of ours, not a textbook interval.

When the smaller class of a ROC AUC has fewer than ``FEW_FOR_AUC`` (30) items, its interval is the
union of the percentile interval and Newcombe's score interval (method ``auc_union``): the
bootstrap's percentile interval alone covered the true AUC only about 80% of the time at 20
positives in 1,000 items, the score interval alone about 99%; the union errs on the wide side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import norm

from evalkit.errors import ConfigError

FEW_FOR_AUC = 30


@dataclass(frozen=True)
class Interval:
    """A metric's estimate on the full data and its confidence interval.

    ``method`` is ``percentile``, ``wilson`` (degenerate proportion or average precision, see the
    module docstring), ``auc_score`` (degenerate ROC AUC), ``auc_union`` (ROC AUC with a small class)
    or ``undefined`` (no resample defined the
    metric; the bounds are NaN). ``n_undefined`` counts the resamples left out (metric undefined).
    """

    estimate: float
    lower: float
    upper: float
    level: float
    method: Literal["percentile", "wilson", "auc_score", "undefined"]
    n_undefined: int = 0


@dataclass(frozen=True)
class ProportionCounts:
    """Counts behind a proportion metric: one ratio, or one per class averaged with ``weights``."""

    successes: np.ndarray
    trials: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class RankCounts:
    """The classes behind a binary ranking metric on the full data: positives and negatives."""

    positives: int
    negatives: int


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ConfigError(f"level={level!r} is not valid. It should be strictly between 0 and 1, e.g. 0.95.")
    return float(level)


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float, int]:
    """``(lower, upper, n_undefined)``: percentile interval of the defined (non-NaN) values.

    Examples
    --------
    >>> percentile_interval(np.array([1.0, 2.0, np.nan, 3.0, 4.0, 5.0]), 0.5)
    (2.0, 4.0, 1)
    """
    level = _check_level(level)
    v = np.asarray(values, dtype=np.float64)
    defined = v[~np.isnan(v)]
    n_undefined = int(v.size - defined.size)
    if defined.size == 0:
        return float("nan"), float("nan"), n_undefined
    alpha = 1 - level
    lower, upper = np.quantile(defined, [alpha / 2, 1 - alpha / 2])
    return float(lower), float(upper), n_undefined


def wilson_interval(
    successes: np.ndarray | float, trials: np.ndarray | float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``successes`` out of ``trials`` (vectorized; trials > 0).

    Examples
    --------
    >>> lo, hi = wilson_interval(10, 10, 0.95)
    >>> round(float(lo), 4), float(hi)
    (0.7225, 1.0)
    """
    level = _check_level(level)
    s = np.asarray(successes, dtype=np.float64)
    t = np.asarray(trials, dtype=np.float64)
    z = norm.ppf(0.5 + level / 2)
    p = s / t
    denom = 1 + z**2 / t
    center = (p + z**2 / (2 * t)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / t + z**2 / (4 * t**2))
    # The bounds at p = 0 and p = 1 are exactly 0 and 1; rounding would otherwise leave 1 - 1e-16.
    lower = np.where(s == 0, 0.0, np.clip(center - half, 0.0, 1.0))
    upper = np.where(s == t, 1.0, np.clip(center + half, 0.0, 1.0))
    return lower, upper


def _hanley_mcneil_variance(theta: float, positives: int, negatives: int) -> float:
    """Variance of the AUC estimate at true AUC ``theta`` (Hanley & McNeil 1982, exponential model)."""
    q1_excess = theta * (1 - theta) ** 2 / (2 - theta)  # Q1 - theta**2, Q1 = theta / (2 - theta)
    q2_excess = theta**2 * (1 - theta) / (1 + theta)  # Q2 - theta**2, Q2 = 2 theta**2 / (1 + theta)
    return (theta * (1 - theta) + (positives - 1) * q1_excess + (negatives - 1) * q2_excess) / (
        positives * negatives
    )


def auc_score_interval(estimate: float, positives: int, negatives: int, level: float) -> tuple[float, float]:
    """Newcombe's score interval for a ROC AUC: ``{theta : (estimate - theta)**2 <= z**2 V(theta)}``.

    ``V`` is Hanley and McNeil's variance at ``theta``; the bounds are found by bisection. The
    interval has width even at an AUC of 0 or 1, where a bootstrap or DeLong interval collapses.

    Examples
    --------
    >>> lo, hi = auc_score_interval(1.0, 5, 20, 0.95)
    >>> round(lo, 3), hi
    (0.725, 1.0)
    """
    level = _check_level(level)
    if positives < 1 or negatives < 1:
        raise ValueError("a ROC AUC interval needs at least one positive and one negative")
    z2 = float(norm.ppf(0.5 + level / 2)) ** 2

    def inside(theta: float) -> bool:
        return (estimate - theta) ** 2 <= z2 * _hanley_mcneil_variance(theta, positives, negatives)

    def edge(outside: float, within: float) -> float:
        # The set is an interval around the estimate: bisect between a point outside and one inside.
        for _ in range(60):
            middle = (outside + within) / 2
            outside, within = (outside, middle) if inside(middle) else (middle, within)
        return within

    lower = 0.0 if inside(0.0) else edge(0.0, estimate)
    upper = 1.0 if inside(1.0) else edge(1.0, estimate)
    return lower, upper


def metric_interval(
    values: np.ndarray,
    level: float,
    *,
    estimate: float,
    counts: ProportionCounts | None = None,
    ranking: tuple[str, RankCounts] | None = None,
) -> Interval:
    """Percentile interval of bootstrap ``values``, or Wilson when a proportion sits at 0 or 1.

    Parameters
    ----------
    values : ndarray of shape (R,)
        Bootstrap values of one metric for one entry.
    level : float
        Confidence level, e.g. 0.95.
    estimate : float
        The metric on the full data (weights all ones).
    counts : ProportionCounts or None
        From :func:`proportion_counts`; None for metrics that are not proportions.
    ranking : (metric, RankCounts) or None
        For binary ``roc_auc`` and ``average_precision``: the metric and its classes, so that a
        bootstrap that cannot vary (see the module docstring) is replaced instead of reported as
        a zero-width interval.
    """
    lower, upper, n_undefined = percentile_interval(values, level)
    if counts is not None and estimate in (0.0, 1.0):
        defined = counts.trials > 0
        lows, highs = wilson_interval(counts.successes[defined], counts.trials[defined], level)
        # At 0 or 1 every defined class sits at that value; a class with support (which exists
        # as soon as there is one item) is defined, so the weights cannot all be zero.
        lower = float(np.average(lows, weights=counts.weights[defined]))
        upper = float(np.average(highs, weights=counts.weights[defined]))
        return Interval(float(estimate), lower, upper, level, "wilson", n_undefined)
    if ranking is not None and lower == upper and not np.isnan(estimate):
        metric, classes = ranking
        if classes.positives > 0 and classes.negatives > 0:
            if metric == "roc_auc":
                lower, upper = auc_score_interval(estimate, classes.positives, classes.negatives, level)
                return Interval(float(estimate), lower, upper, level, "auc_score", n_undefined)
            if metric == "average_precision":
                lows, highs = wilson_interval(estimate * classes.positives, classes.positives, level)
                return Interval(float(estimate), float(lows), float(highs), level, "wilson", n_undefined)
    if ranking is not None and not np.isnan(lower) and not np.isnan(estimate):
        metric, classes = ranking
        smaller = min(classes.positives, classes.negatives)
        if metric == "roc_auc" and 0 < smaller < FEW_FOR_AUC:
            # With few items in one class the percentile interval of a stratified bootstrap under-covers
            # (0.81 at 20 positives in benchmarks/interval_coverage.py): report the union with
            # Newcombe's score interval, which errs wide instead.
            low, high = auc_score_interval(estimate, classes.positives, classes.negatives, level)
            return Interval(float(estimate), min(lower, low), max(upper, high), level, "auc_union",
                            n_undefined)
    method = "undefined" if np.isnan(lower) else "percentile"
    return Interval(float(estimate), lower, upper, level, method, n_undefined)
