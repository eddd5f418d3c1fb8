"""Single-target regression metrics in plain NumPy, equal to scikit-learn's, and their registry entries.

Each function takes two 1-d float arrays (truth, prediction) and returns a float. They follow
scikit-learn's formulas operation by operation (on ``(n, 1)`` columns, as scikit-learn reshapes
them), so on ordinary data they agree to the last bits; scikit-learn stays a test oracle only.

One deliberate difference: R² and explained variance decide "the denominator (or numerator) is zero"
from the data, not from a rounded floating-point sum. scikit-learn's ``force_finite`` gives 0.0 for a
constant truth only when its rounded variance happens to be exactly 0; for ``y_true = [0.1, 0.1,
0.1]`` the rounded mean is ``0.10000000000000002`` and it returns about ``-8.7e29``. Here a constant
truth always gives scikit-learn's intended 0.0 (1.0 for perfect predictions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.metrics.registry import MetricSpec

# scikit-learn's MAPE divides by max(|y_true|, eps) so that a zero truth gives a huge, finite term.
MAPE_EPSILON = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class RangedMetricSpec(MetricSpec):
    """A :class:`MetricSpec` whose range is not one of the two the base class knows ([0, 1], [0, inf)).

    ``bounded`` keeps its meaning for the existing machinery (True only for [0, 1]); ``value_range``
    returns ``(low, high)``, so stated values (external baselines) are checked against the true range.
    """

    low: float = 0.0
    high: float = math.inf
    description: str = ""

    @property
    def value_range(self) -> tuple[float, float]:
        return (self.low, self.high)


def _columns(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 ``(n, 1)`` columns, as scikit-learn reshapes a single target."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.ndim != 1 or p.ndim != 1 or t.shape != p.shape:
        raise DataError(f"regression metrics need two 1-d arrays of the same length, got shapes {t.shape} "
                        f"and {p.shape}; pass one target column at a time")
    if t.size == 0:
        raise DataError("regression metrics need at least one item; the truth and predictions are empty")
    return t.reshape(-1, 1), p.reshape(-1, 1)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error.

    >>> mae(np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    1.5
    """
    t, p = _columns(y_true, y_pred)
    return float(np.mean(np.abs(p - t), axis=0)[0])


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error."""
    t, p = _columns(y_true, y_pred)
    return float(np.mean((t - p) ** 2, axis=0)[0])


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error (the square root of :func:`mse`)."""
    t, p = _columns(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2, axis=0))[0])


def mean_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Signed bias, ``mean(y_pred - y_true)``: positive when the model over-predicts.

    >>> mean_error(np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    1.5
    """
    t, p = _columns(y_true, y_pred)
    return float(np.mean(p - t, axis=0)[0])


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error as a fraction (0.1 is 10%), zero truths divided by machine epsilon."""
    t, p = _columns(y_true, y_pred)
    return float(np.mean(np.abs(p - t) / np.maximum(np.abs(t), MAPE_EPSILON), axis=0)[0])


def median_ae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Median absolute error (``np.median``: the mean of the two middle values for an even count)."""
    t, p = _columns(y_true, y_pred)
    return float(np.median(np.abs(p - t), axis=0)[0])


def max_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Largest absolute error."""
    t, p = _columns(y_true, y_pred)
    return float(np.max(np.abs(t - p)))


def _fraction_explained(numerator: float, denominator: float, *, numerator_zero: bool,
                        denominator_zero: bool) -> float:
    # scikit-learn's force_finite: perfect predictions score 1 even on a constant truth; imperfect
    # predictions on a constant truth score 0 instead of -inf.
    if numerator_zero:
        return 1.0
    if denominator_zero:
        return 0.0
    return float(1 - numerator / denominator)


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination R²; NaN for fewer than two items (as scikit-learn).

    >>> r2(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    0.5
    >>> r2(np.array([0.1, 0.1, 0.1]), np.array([0.0, 0.1, 0.2]))  # constant truth
    0.0
    """
    t, p = _columns(y_true, y_pred)
    if t.shape[0] < 2:
        return math.nan
    numerator = np.sum(1.0 * (t - p) ** 2, axis=0)[0]
    denominator = np.sum(1.0 * (t - np.mean(t, axis=0)) ** 2, axis=0)[0]
    return _fraction_explained(numerator, denominator, numerator_zero=numerator == 0,
                               denominator_zero=denominator == 0 or np.ptp(t) == 0)


def explained_variance(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Explained variance: like R² but blind to a constant bias."""
    t, p = _columns(y_true, y_pred)
    diff = t - p
    numerator = np.mean((t - p - np.mean(diff, axis=0)) ** 2, axis=0)[0]
    denominator = np.mean((t - np.mean(t, axis=0)) ** 2, axis=0)[0]
    return _fraction_explained(numerator, denominator, numerator_zero=numerator == 0 or np.ptp(diff) == 0,
                               denominator_zero=denominator == 0 or np.ptp(t) == 0)


def _spec(fn: Callable[..., float], *, higher: bool, low: float, high: float,
          description: str) -> RangedMetricSpec:
    return RangedMetricSpec(fn.__name__, higher, "values", low == 0.0 and high == 1.0, fn,
                            low=low, high=high, description=description)


_INF = math.inf

REGRESSION_METRICS: dict[str, RangedMetricSpec] = {s.name: s for s in (
    _spec(mae, higher=False, low=0.0, high=_INF, description="mean absolute error, in the target's units"),
    _spec(mse, higher=False, low=0.0, high=_INF, description="mean squared error, in squared target units"),
    _spec(rmse, higher=False, low=0.0, high=_INF,
          description="root mean squared error, in the target's units"),
    _spec(r2, higher=True, low=-_INF, high=1.0,
          description="coefficient of determination: 1 is perfect, 0 is predicting the mean"),
    _spec(mape, higher=False, low=0.0, high=_INF,
          description="mean absolute percentage error as a fraction (0.1 = 10%); huge when a truth is 0"),
    _spec(median_ae, higher=False, low=0.0, high=_INF,
          description="median absolute error, in the target's units"),
    _spec(max_error, higher=False, low=0.0, high=_INF,
          description="largest absolute error, in the target's units"),
    _spec(explained_variance, higher=True, low=-_INF, high=1.0,
          description="share of the truth's variance explained, ignoring a constant bias"),
    # The best bias is 0, neither higher nor lower; "lower" is only the registry's required direction.
    # Constrain it from both sides (mean_error: ">= -x" and "<= x") rather than optimising it.
    _spec(mean_error, higher=False, low=-_INF, high=_INF,
          description="signed bias mean(prediction - truth); best at 0, constrain it from both sides"),
)}


def regression_metric(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The single-target metric ``name`` (a key of :data:`REGRESSION_METRICS`).

    >>> regression_metric("rmse", np.array([0.0, 0.0]), np.array([3.0, 4.0]))
    3.5355339059327378
    """
    spec = REGRESSION_METRICS.get(name)
    if spec is None or spec.fn is None:
        raise ConfigError(f"unknown regression metric '{name}'; valid metrics: "
                          f"{', '.join(REGRESSION_METRICS)}")
    return spec.fn(y_true, y_pred)
