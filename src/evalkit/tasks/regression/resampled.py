"""Regression metrics on bootstrap resamples, all resamples of a block at once.

A block of resamples is a weights matrix ``W`` of shape ``(resamples, items)``: ``W[r, i]`` is how many
times item ``i`` is drawn in resample ``r`` (see :mod:`evalkit.uncertainty.resampling`). Each row's value
equals the point metric on the expanded resample ``np.repeat(x, W[r])``, computed without expanding:

- means (MAE, MSE, RMSE, MAPE, bias, R², explained variance, shares within a tolerance) and each row's
  number of draws are weighted sums: one matrix product of ``W`` with a few per-item columns (float64
  accumulation). Variances come from sums and sums of squares (the truth's centred on its full-sample
  mean), so a resample's own mean costs no second pass; rows where that cancels too many digits (nearly
  constant resamples, a bias much larger than the spread) are redone exactly from their drawn items.
- order statistics (median, 90th/95th percentile, max) sort the items once per plan. A resample's k-th
  smallest value is the first item, in sorted order, at which the running count of draws exceeds k.
  Those ranks vary by about ``sqrt(n)`` between resamples, so the running counts are only formed in a
  window of ``~20 sqrt(n)`` sorted items around each quantile, starting from the number of draws below
  the window (one more column of the matrix product, none for the window at the top); a row whose rank
  falls outside its window (about ten standard deviations away) is redone over all items. Values are
  interpolated exactly as ``np.percentile`` (and ``np.median``) do on the expanded sample.

Build a plan once per entry (:class:`RegressionPlan`, :class:`ErrorPlan`: the sort is their cost), or
one :class:`RegressionPlans` for several predictions of the same truth, and call it on every block;
:func:`resampled_values` and :func:`resampled_error_values` do both in one call.
Rows whose weights sum to 0 (possible with Poisson weights) give NaN, and R² gives NaN below 2 draws,
as scikit-learn does for fewer than two items. Memory: a plan holds its per-item columns (``n`` x about
6 float64 per prediction); a call allocates only small slices besides its results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.regression.errors import QUANTILES, ErrorSpec, error_metric_names, tolerance_label
from evalkit.tasks.regression.metrics import MAPE_EPSILON, REGRESSION_METRICS

# Weights converted to float64 at a time (rows x items) for the matrix product: 256 KiB, small enough
# to stay in cache between the conversion and the product.
SLICE_ELEMENTS = 2**15
# Half-width of the window of sorted items searched for an order statistic, in units of sqrt(items): the
# sorted position of a resample's quantile moves by about sqrt(n) or less (one standard deviation). Only
# speed depends on it: a row outside its window is redone over all items.
WINDOW_SDS = 10
WINDOW_MIN = 64
# A variance computed about the full sample's mean loses about log10(sum of squares / variance) digits to
# cancellation; below this ratio the row is recomputed exactly (two passes over its drawn items).
CANCELLATION_RATIO = 1e-4


def _weights(W: np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(W)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != n:
        raise DataError(f"weights should have shape (n,) or (resamples, n) with n = {n} items, got {w.shape}")
    if w.dtype.kind not in "iub":
        raise DataError(f"weights should be integer counts (how often each item is drawn), got {w.dtype}")
    if w.dtype.kind == "i" and w.size and w.min() < 0:
        raise DataError("weights should be non-negative counts (how often each item is drawn)")
    return w


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    # np.percentile's interpolation, including its switch to the upper end at t >= 0.5, so the
    # values agree to the last bit, not just to rounding.
    diff = b - a
    out = a + diff * t
    upper = t >= 0.5
    out[upper] = (b - diff * (1 - t))[upper]
    return out


class _Sorted:
    """Items sorted once by one per-item value; order statistics of any weighted resample from it."""

    def __init__(self, values: np.ndarray, percentiles: Sequence[float]) -> None:
        n = values.shape[0]
        self.n = n
        self.order = np.argsort(values, kind="stable")
        self.values = values[self.order]
        rank = np.empty(n, dtype=np.int64)
        rank[self.order] = np.arange(n)
        half = WINDOW_SDS * math.isqrt(n) + WINDOW_MIN
        self.windows: dict[float, tuple[int, int]] = {}
        for q in percentiles:
            centre = round((n - 1) * q / 100)
            self.windows[q] = (max(0, centre - half), min(n, centre + half + 1))
        # Window items in item order, and the permutation back to sorted order: gathering in item order
        # reads each row of the block front to back, and the permutation then works on the small gather.
        self.gather: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for a, b in set(self.windows.values()):
            by_item = np.argsort(self.order[a:b], kind="stable")
            self.gather[a, b] = (self.order[a:b][by_item], np.argsort(by_item, kind="stable"))
        # Column j, in item order, marks the items sorted before window start j: its weighted sum is the
        # number of draws below that window. A window that reaches the top needs none: the draws below
        # it are the row's total minus the draws inside it.
        self.starts = sorted({a for a, b in self.windows.values() if b < n})
        self.below = np.zeros((n, len(self.starts)))
        for j, a in enumerate(self.starts):
            self.below[:, j] = rank < a

    def at(self, w: np.ndarray, q: float, below: Mapping[int, np.ndarray], totals: np.ndarray,
           ks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """For each ``k`` in ``ks``: the ``k[r]``-th (0-based) value of row ``r``'s expanded sample.

        ``below[a]`` is each row's number of draws sorted before ``a``; rows with no draws get item 0.
        """
        a, b = self.windows[q]
        items, back = self.gather[a, b]
        running = np.cumsum(np.take(np.take(w, items, axis=1), back, axis=1), axis=1, dtype=np.int64)
        below_a = below[a] if b < self.n else totals - running[:, -1]
        out = []
        for k in ks:
            local = k - below_a
            # The item holding draw `local` of the window is the first whose running count exceeds it.
            position = a + (running <= local[:, None]).sum(axis=1)
            found = self.values[np.minimum(position, self.n - 1)]
            outside = np.flatnonzero(((local < 0) | (local >= running[:, -1])) & (totals > 0))
            for r in outside:
                everything = np.cumsum(np.take(w[r], self.order), dtype=np.int64)
                found[r] = self.values[np.searchsorted(everything, k[r], side="right")]
            out.append(found)
        return out

    def percentile(self, w: np.ndarray, q: float, below: Mapping[int, np.ndarray],
                   totals: np.ndarray) -> np.ndarray:
        """``np.percentile(expanded_row, q)`` for every row with at least one draw (linear method)."""
        safe = np.maximum(totals, 1)
        virtual = (safe - 1) * (q / 100)
        previous = np.floor(virtual)
        low = previous.astype(np.int64)
        lower, upper = self.at(w, q, below, totals, [low, np.minimum(low + 1, safe - 1)])
        return _lerp(lower, upper, virtual - previous)

    def median(self, w: np.ndarray, below: Mapping[int, np.ndarray], totals: np.ndarray) -> np.ndarray:
        """``np.median`` of each expanded row: the middle value, or the mean of the two middle ones."""
        safe = np.maximum(totals, 1)
        low, high = self.at(w, 50.0, below, totals, [(safe - 1) // 2, safe // 2])
        return np.where(safe % 2 == 1, low, (low + high) / 2)

    def maximum(self, w: np.ndarray, below: Mapping[int, np.ndarray], totals: np.ndarray) -> np.ndarray:
        return self.at(w, 100.0, below, totals, [np.maximum(totals, 1) - 1])[0]


def _products(w: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``w @ columns`` in float64, a slice of items at a time.

    Each slice of the weights is converted to float64 while it is in cache, and all rows of the block
    share one read of the per-item columns; the float copy stays at ``SLICE_ELEMENTS`` whatever the block.
    """
    out = np.zeros((w.shape[0], columns.shape[1]))
    step = max(1, SLICE_ELEMENTS // w.shape[0])
    for i in range(0, w.shape[1], step):
        out += w[:, i:i + step].astype(np.float64) @ columns[i:i + step]
    return out


class RegressionPlans:
    """Single-target metrics of several predictions of one truth, for any block of resample weights.

    The predictions share the block and the truth's columns, so one matrix product per block serves
    them all (as the paired bootstrap evaluates every entry on the same resamples).

    >>> plans = RegressionPlans(["mae"], np.array([0.0, 1.0]), [np.array([1.0, 1.0]), np.array([0.0, 3.0])])
    >>> [v["mae"].tolist() for v in plans(np.array([[1, 1], [0, 2]]))]
    [[0.5, 0.0], [1.0, 2.0]]
    """

    def __init__(self, names: Sequence[str], y_true: np.ndarray, y_preds: Sequence[np.ndarray]) -> None:
        unknown = [n for n in names if n not in REGRESSION_METRICS]
        if unknown:
            raise ConfigError(f"unknown regression metric '{unknown[0]}'; valid metrics: "
                              f"{', '.join(REGRESSION_METRICS)}")
        t = np.asarray(y_true, dtype=np.float64)
        preds = [np.asarray(p, dtype=np.float64) for p in y_preds]
        for p in preds:
            if t.ndim != 1 or t.shape != p.shape or t.size == 0:
                raise DataError(f"truth and predictions should be non-empty 1-d arrays of one length, got "
                                f"shapes {t.shape} and {p.shape}")
        self.names = list(names)
        self.n = t.shape[0]
        self.truth = t
        self.constant_truth = bool(np.ptp(t) == 0)
        wanted = set(self.names)
        columns: dict[tuple[int, str], np.ndarray] = {(-1, "count"): np.ones(self.n)}
        if wanted & {"r2", "explained_variance"}:
            # Centred on the full sample's mean: a resample's variance is then a small difference of
            # moderate sums, not a cancellation between the sum of y² and (sum of y)² / n.
            centred = t - np.mean(t)
            columns[-1, "tc"], columns[-1, "tc2"] = centred, centred**2
        self.diffs: list[np.ndarray] = []
        self.mean_diffs: list[float] = []
        self.sorted: list[_Sorted | None] = []
        percentiles = [q for name, q in (("median_ae", 50.0), ("max_error", 100.0)) if name in wanted]
        for j, p in enumerate(preds):
            diff, abs_diff = p - t, np.abs(p - t)
            self.diffs.append(diff)
            self.mean_diffs.append(float(np.mean(diff)))
            if wanted & {"mean_error", "explained_variance"}:
                columns[j, "d"] = diff
            if "mae" in wanted:
                columns[j, "abs"] = abs_diff
            if wanted & {"mse", "rmse", "r2", "explained_variance"}:
                columns[j, "sq"] = (t - p) ** 2
            if "mape" in wanted:
                columns[j, "ape"] = abs_diff / np.maximum(np.abs(t), MAPE_EPSILON)
            self.sorted.append(_Sorted(abs_diff, percentiles) if percentiles else None)
            if percentiles:
                for i, a in enumerate(self.sorted[j].starts):  # type: ignore[union-attr]
                    columns[j, f"below{a}"] = self.sorted[j].below[:, i]  # type: ignore[union-attr]
        self.keys = list(columns)
        self.columns = np.column_stack(list(columns.values()))

    def __call__(self, W: np.ndarray) -> list[dict[str, np.ndarray]]:
        """For each prediction, each metric's value on every row of ``W`` (shape ``(resamples, items)``)."""
        w = _weights(W, self.n)
        products = _products(w, self.columns)
        s = {key: products[:, i] for i, key in enumerate(self.keys)}
        count = s[-1, "count"]
        totals = np.rint(count).astype(np.int64)  # exact: sums of small integers in float64
        ss_true = true_zero = None
        if "r2" in self.names or "explained_variance" in self.names:
            ss_true, true_zero = _spread(w, s[-1, "tc"], s[-1, "tc2"], count, self.truth, self.constant_truth)
        return [self._metrics(j, w, s, count, totals, ss_true, true_zero) for j in range(len(self.diffs))]

    def _metrics(self, j: int, w: np.ndarray, s: Mapping[tuple[int, str], np.ndarray], count: np.ndarray,
                 totals: np.ndarray, ss_true: np.ndarray | None,
                 true_zero: np.ndarray | None) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            if "mean_error" in self.names:
                out["mean_error"] = s[j, "d"] / count
            if "mae" in self.names:
                out["mae"] = s[j, "abs"] / count
            if "mse" in self.names or "rmse" in self.names:
                out["mse"] = s[j, "sq"] / count
                out["rmse"] = np.sqrt(out["mse"])
            if "mape" in self.names:
                out["mape"] = s[j, "ape"] / count
            if ss_true is not None and true_zero is not None:
                if "r2" in self.names:
                    out["r2"] = _explained(s[j, "sq"], ss_true, s[j, "sq"] == 0, true_zero)
                    out["r2"][totals < 2] = np.nan
                if "explained_variance" in self.names:
                    # The spread of the differences from the plain sums: where the bias dominates so
                    # much that this cancels, _spread redoes the row exactly.
                    ss_diff, diff_zero = _spread(w, s[j, "d"], s[j, "sq"], count, self.diffs[j], False)
                    out["explained_variance"] = _explained(ss_diff / count, ss_true / count, diff_zero,
                                                           true_zero)
        sorted_ = self.sorted[j]
        if sorted_ is not None:
            below = {a: np.rint(s[j, f"below{a}"]).astype(np.int64) for a in sorted_.starts}
            if "median_ae" in self.names:
                out["median_ae"] = sorted_.median(w, below, totals)
            if "max_error" in self.names:
                out["max_error"] = sorted_.maximum(w, below, totals)
        for name in self.names:
            out[name][totals == 0] = np.nan
        return {name: out[name] for name in self.names}


class RegressionPlan:
    """Single-target metrics of one prediction, for any block of resample weights.

    >>> plan = RegressionPlan(["mae", "max_error"], np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 5.0]))
    >>> {k: v.tolist() for k, v in plan(np.array([[1, 1, 1], [2, 1, 0]])).items()}
    {'mae': [1.3333333333333333, 0.3333333333333333], 'max_error': [3.0, 1.0]}
    """

    def __init__(self, names: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray) -> None:
        self.plans = RegressionPlans(names, y_true, [y_pred])
        self.names = self.plans.names

    def __call__(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Each metric's value on every row of ``W`` (shape ``(resamples, items)``)."""
        return self.plans(W)[0]


def _spread(w: np.ndarray, s1: np.ndarray, s2: np.ndarray, count: np.ndarray, values: np.ndarray,
            constant: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each row's sum of squared deviations from its own mean, and whether its drawn values are all equal.

    ``s1`` and ``s2`` are the row's sums of the centred values and of their squares. Rows where the
    one-pass formula cancels too much (nearly constant resamples) are recomputed from their drawn
    items; there are few of them unless the data themselves are nearly constant.
    """
    if constant:
        return np.zeros_like(s2), np.ones(s2.shape, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):  # rows without draws: NaN, set by the caller
        spread = s2 - s1 * s1 / count
    zero = np.zeros(spread.shape, dtype=bool)
    for r in np.flatnonzero((spread <= CANCELLATION_RATIO * s2) & (count > 0)):
        drawn = w[r] > 0
        x, k = values[drawn], w[r][drawn].astype(np.float64)
        if np.ptp(x) == 0:
            spread[r], zero[r] = 0.0, True
        else:
            mean = np.dot(k, x) / k.sum()
            spread[r] = np.dot(k, (x - mean) ** 2)
    return spread, zero


def _explained(numerator: np.ndarray, denominator: np.ndarray, numerator_zero: np.ndarray,
               denominator_zero: np.ndarray) -> np.ndarray:
    """``1 - numerator / denominator`` with scikit-learn's force_finite rules (see metrics.r2)."""
    out = 1 - numerator / np.where(denominator_zero, 1.0, denominator)
    out[denominator_zero] = 0.0
    out[numerator_zero] = 1.0
    return out


class ErrorPlan:
    """The metrics of one named error (``<name>_mean``, ``_p95``, ``_within_<tol>``...) on resamples.

    >>> from evalkit.tasks.regression.errors import parse_error_spec
    >>> spec = parse_error_spec("e", {"kind": "absolute", "column": "y", "tolerances": [1]})
    >>> ErrorPlan(spec, np.array([0.5, 2.0]))(np.array([[3, 1]]))["e_within_1"]
    array([0.75])
    """

    def __init__(self, spec: ErrorSpec, errors: np.ndarray) -> None:
        e = np.asarray(errors, dtype=np.float64)
        if e.ndim != 1 or e.size == 0:
            raise DataError(f"errors.{spec.name}: need a non-empty 1-d array of per-item errors, "
                            f"got shape {e.shape}")
        self.spec, self.n = spec, e.shape[0]
        self.names = error_metric_names(spec)
        self.sorted = _Sorted(e, list(QUANTILES.values()))
        self.columns = np.column_stack([np.ones(self.n), e, e * e,
                                        *[(e <= t).astype(np.float64) for t in spec.tolerances],
                                        self.sorted.below])

    def __call__(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Each metric's value on every row of ``W`` (shape ``(resamples, items)``)."""
        w = _weights(W, self.n)
        name, k = self.spec.name, len(self.spec.tolerances)
        products = _products(w, self.columns)
        count = products[:, 0]
        totals = np.rint(count).astype(np.int64)
        below = {a: np.rint(products[:, 3 + k + j]).astype(np.int64)
                 for j, a in enumerate(self.sorted.starts)}
        out: dict[str, np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{name}_mean"] = products[:, 1] / count
            out[f"{name}_rmse"] = np.sqrt(products[:, 2] / count)
            for j, t in enumerate(self.spec.tolerances):
                out[f"{name}_within_{tolerance_label(t)}"] = products[:, 3 + j] / count
        for suffix, q in QUANTILES.items():
            out[f"{name}_{suffix}"] = self.sorted.percentile(w, q, below, totals)
        for metric in out.values():
            metric[totals == 0] = np.nan
        return {n: out[n] for n in self.names}


def resampled_values(names: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray,
                     W: np.ndarray) -> dict[str, np.ndarray]:
    """Single-target metrics on every resample (row) of ``W``; build a :class:`RegressionPlan` to reuse
    the sort across blocks.

    >>> resampled_values(["rmse"], np.zeros(2), np.array([3.0, 4.0]), np.array([[2, 0], [0, 2]]))
    {'rmse': array([3., 4.])}
    """
    return RegressionPlan(names, y_true, y_pred)(W)


def resampled_error_values(spec: ErrorSpec, errors: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """A named error's metrics on every resample (row) of ``W``; build an :class:`ErrorPlan` to reuse the
    sort across blocks."""
    return ErrorPlan(spec, errors)(W)
