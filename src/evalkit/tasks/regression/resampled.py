"""Regression metrics on bootstrap resamples, all resamples of a block at once.

A block of resamples is a weights matrix ``W`` of shape ``(resamples, items)``: ``W[r, i]`` is how many
times item ``i`` is drawn in resample ``r`` (see :mod:`evalkit.uncertainty.resampling`). Each row's value
equals the point metric on the expanded resample ``np.repeat(x, W[r])``, computed without expanding:

- means (MAE, MSE, RMSE, MAPE, bias, R², explained variance, shares within a tolerance) are weighted
  sums, one matrix product of ``W`` with a few per-item columns (float64 accumulation); variances are
  taken about the full sample's mean, so a resample's own mean costs no second pass;
- order statistics (median, 90th/95th percentile, max) sort the items once per plan; in each row the
  cumulative weights along that order say which item holds the k-th value of the expanded sample, and
  one ``searchsorted`` over the whole chunk finds them all, interpolated exactly as ``np.percentile``.

Build a plan once per entry (:class:`RegressionPlan`, :class:`ErrorPlan`: the sort is their cost) and
call it on every block; :func:`resampled_values` and :func:`resampled_error_values` do both in one call.
Rows whose weights sum to 0 (possible with Poisson weights) give NaN, and R² gives NaN below 2 draws,
as scikit-learn does for fewer than two items.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.regression.errors import QUANTILES, ErrorSpec, error_metric_names, tolerance_label
from evalkit.tasks.regression.metrics import MAPE_EPSILON, REGRESSION_METRICS

# Weights processed per chunk (rows x items): bounds the float64 copy and the int64 cumulative sums to
# 8 MiB each, whatever the block.
CHUNK_ELEMENTS = 2**20
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

    def __init__(self, values: np.ndarray) -> None:
        self.order = np.argsort(values, kind="stable")
        self.values = values[self.order]

    def gather(self, w: np.ndarray) -> np.ndarray:
        return np.take(w, self.order, axis=1)

    def at(self, cumulative: np.ndarray, starts: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The ``k[r]``-th (0-based) value of each row's expanded sample, given cumulative weights.

        ``cumulative`` is the running total over the whole chunk, row after row (so it is sorted), and
        ``starts[r]`` the total before row ``r``; the item holding draw ``k`` is the first whose running
        total exceeds ``starts[r] + k``.
        """
        n = self.values.shape[0]
        position = np.searchsorted(cumulative, starts + k, side="right")
        # Clipped only for empty rows, whose draw 0 does not exist; their values become NaN.
        return self.values[np.minimum(position - np.arange(k.shape[0]) * n, n - 1)]


def _quantile(sorted_: _Sorted, cumulative: np.ndarray, starts: np.ndarray, totals: np.ndarray,
              q: float) -> np.ndarray:
    """``np.percentile(expanded_row, q)`` for every row with at least one draw (linear method)."""
    virtual = (totals - 1) * (q / 100)
    previous = np.floor(virtual)
    gamma = virtual - previous
    low = previous.astype(np.int64)
    high = np.minimum(low + 1, totals - 1)
    return _lerp(sorted_.at(cumulative, starts, low), sorted_.at(cumulative, starts, high), gamma)


def _median(sorted_: _Sorted, cumulative: np.ndarray, starts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """``np.median`` of each expanded row: the middle value, or the mean of the two middle ones."""
    low = sorted_.at(cumulative, starts, (totals - 1) // 2)
    high = sorted_.at(cumulative, starts, totals // 2)
    return np.where(totals % 2 == 1, low, (low + high) / 2)


class RegressionPlan:
    """Single-target metrics of one entry (truth, prediction), for any block of resample weights.

    >>> plan = RegressionPlan(["mae", "max_error"], np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 5.0]))
    >>> {k: v.tolist() for k, v in plan(np.array([[1, 1, 1], [2, 1, 0]])).items()}
    {'mae': [1.3333333333333333, 0.3333333333333333], 'max_error': [3.0, 1.0]}
    """

    def __init__(self, names: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray) -> None:
        unknown = [n for n in names if n not in REGRESSION_METRICS]
        if unknown:
            raise ConfigError(f"unknown regression metric '{unknown[0]}'; valid metrics: "
                              f"{', '.join(REGRESSION_METRICS)}")
        t = np.asarray(y_true, dtype=np.float64)
        p = np.asarray(y_pred, dtype=np.float64)
        if t.ndim != 1 or t.shape != p.shape or t.size == 0:
            raise DataError(f"truth and predictions should be non-empty 1-d arrays of one length, got shapes "
                            f"{t.shape} and {p.shape}")
        self.names = list(names)
        self.n = t.shape[0]
        self.truth, self.diff = t, p - t
        wanted = set(self.names)
        abs_diff = np.abs(p - t)
        self.sorted = _Sorted(abs_diff) if wanted & {"median_ae", "max_error"} else None
        self.constant_truth = bool(np.ptp(t) == 0)
        # Centred on the full sample's means: a resample's variance is then a small difference of
        # moderate sums instead of a cancellation between sums of y² and (sum of y)².
        self.t_centred = t - np.mean(t)
        self.d_centred = self.diff - np.mean(self.diff)
        columns: dict[str, np.ndarray] = {}
        if "mean_error" in wanted:
            columns["d"] = self.diff
        if "mae" in wanted:
            columns["abs"] = abs_diff
        if wanted & {"mse", "rmse", "r2"}:
            columns["sq"] = (t - p) ** 2
        if "mape" in wanted:
            columns["ape"] = abs_diff / np.maximum(np.abs(t), MAPE_EPSILON)
        if wanted & {"r2", "explained_variance"}:
            columns["tc"], columns["tc2"] = self.t_centred, self.t_centred**2
        if "explained_variance" in wanted:
            columns["dc"], columns["dc2"] = self.d_centred, self.d_centred**2
        self.column_names = list(columns)
        order = self.sorted.order if self.sorted is not None else None
        stacked = np.column_stack(list(columns.values())) if columns else np.zeros((self.n, 0))
        # Rows in the sorted order when there is one, so the block is gathered once for both parts.
        self.columns = stacked[order] if order is not None else stacked

    def __call__(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Each metric's value on every row of ``W`` (shape ``(resamples, items)``)."""
        w = _weights(W, self.n)
        rows = max(1, CHUNK_ELEMENTS // self.n)
        parts = [self._chunk(w[i:i + rows]) for i in range(0, w.shape[0], rows)]
        return {name: np.concatenate([p[name] for p in parts]) for name in self.names}

    def _chunk(self, w: np.ndarray) -> dict[str, np.ndarray]:
        g = self.sorted.gather(w) if self.sorted is not None else w
        sums = g.astype(np.float64) @ self.columns
        s = {name: sums[:, j] for j, name in enumerate(self.column_names)}
        totals = g.sum(axis=1, dtype=np.int64)
        count = totals.astype(np.float64)
        out: dict[str, np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            if "mean_error" in self.names:
                out["mean_error"] = s["d"] / count
            if "mae" in self.names:
                out["mae"] = s["abs"] / count
            if "mse" in self.names or "rmse" in self.names:
                out["mse"] = s["sq"] / count
                out["rmse"] = np.sqrt(out["mse"])
            if "mape" in self.names:
                out["mape"] = s["ape"] / count
            if "r2" in self.names or "explained_variance" in self.names:
                ss_true, true_zero = self._spread(w, s["tc"], s["tc2"], count, self.truth,
                                                  self.constant_truth)
                if "r2" in self.names:
                    out["r2"] = _explained(s["sq"], ss_true, s["sq"] == 0, true_zero)
                    out["r2"][totals < 2] = np.nan
                if "explained_variance" in self.names:
                    ss_diff, diff_zero = self._spread(w, s["dc"], s["dc2"], count, self.diff, False)
                    out["explained_variance"] = _explained(ss_diff / count, ss_true / count, diff_zero,
                                                           true_zero)
        if self.sorted is not None:
            cumulative = np.cumsum(g.ravel(), dtype=np.int64)
            starts = np.concatenate(([0], np.cumsum(totals)[:-1]))
            drawn = totals > 0
            safe_totals = np.where(drawn, totals, 1)  # empty rows read item 0, then become NaN
            if "median_ae" in self.names:
                out["median_ae"] = _median(self.sorted, cumulative, starts, safe_totals)
            if "max_error" in self.names:
                out["max_error"] = self.sorted.at(cumulative, starts, safe_totals - 1)
        for name in self.names:
            out[name][totals == 0] = np.nan
        return {name: out[name] for name in self.names}

    def _spread(self, w: np.ndarray, s1: np.ndarray, s2: np.ndarray, count: np.ndarray, values: np.ndarray,
                constant: bool) -> tuple[np.ndarray, np.ndarray]:
        """Each row's sum of squared deviations from its own mean, and whether its drawn values are all equal.

        Rows where the one-pass formula cancels too much (nearly constant resamples) are recomputed
        from their drawn items; there are few of them unless the data themselves are nearly constant.
        """
        spread = s2 - s1 * s1 / count
        if constant:
            return np.zeros_like(spread), np.ones(spread.shape, dtype=bool)
        zero = np.zeros(spread.shape, dtype=bool)
        for r in np.flatnonzero(spread <= CANCELLATION_RATIO * s2):
            drawn = w[r] > 0
            if not drawn.any():
                continue
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
        self.sorted = _Sorted(e)
        e_sorted = self.sorted.values
        self.columns = np.column_stack([e_sorted, e_sorted**2, *[(e_sorted <= t).astype(np.float64)
                                                                  for t in spec.tolerances]])

    def __call__(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """Each metric's value on every row of ``W`` (shape ``(resamples, items)``)."""
        w = _weights(W, self.n)
        rows = max(1, CHUNK_ELEMENTS // self.n)
        parts = [self._chunk(w[i:i + rows]) for i in range(0, w.shape[0], rows)]
        return {name: np.concatenate([p[name] for p in parts]) for name in self.names}

    def _chunk(self, w: np.ndarray) -> dict[str, np.ndarray]:
        name = self.spec.name
        g = self.sorted.gather(w)
        sums = g.astype(np.float64) @ self.columns
        totals = g.sum(axis=1, dtype=np.int64)
        count = totals.astype(np.float64)
        cumulative = np.cumsum(g.ravel(), dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(totals)[:-1]))
        safe_totals = np.where(totals > 0, totals, 1)
        out: dict[str, np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{name}_mean"] = sums[:, 0] / count
            out[f"{name}_rmse"] = np.sqrt(sums[:, 1] / count)
            for j, t in enumerate(self.spec.tolerances):
                out[f"{name}_within_{tolerance_label(t)}"] = sums[:, 2 + j] / count
        for suffix, q in QUANTILES.items():
            out[f"{name}_{suffix}"] = _quantile(self.sorted, cumulative, starts, safe_totals, q)
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
