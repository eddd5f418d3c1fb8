"""Calibration of scores: expected calibration error and the Brier score's Murphy decomposition.

A *forecast* is the probability an entry states, an *outcome* whether it came true: for binary tasks
the positive-class score and whether the item is positive; for multiclass the top-label confidence
(the highest class score) and whether that class is the true one. Forecasts are grouped into bins
(``calibration: {bins: 15, binning: width|mass}``): ``width`` splits [0, 1] into equal intervals
``[k/B, (k+1)/B)`` (the last one closed), ``mass`` puts about the same number of items in each bin
(edges at the forecasts' order statistics; equal forecasts share a bin). With ``n_k`` items in bin k,
their mean forecast ``f_k``, observed frequency ``o_k`` and overall frequency ``o``:

- ``ece`` = sum_k n_k/N |f_k - o_k| (lower is better);
- ``brier_reliability`` = sum_k n_k/N (f_k - o_k)^2 (lower is better);
- ``brier_resolution`` = sum_k n_k/N (o_k - o)^2 (higher is better);
- ``brier_uncertainty`` = o (1 - o).

``reliability - resolution + uncertainty`` is exactly the Brier score of the *binned* forecasts (each
item's forecast replaced by its bin's mean forecast); the Brier score itself differs from it by the
spread of the forecasts within the bins. Everything is a weighted sum per bin, so a block of bootstrap
resamples (rows of item weights) costs one ``bincount`` per sum. Equal-mass edges are set once on the
evaluated items and kept in every resample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.errors import ConfigError

CALIBRATION_METRICS = ("ece", "brier_reliability", "brier_resolution", "brier_uncertainty")
# Whether a larger value is better, per metric (uncertainty is the data's, not the model's: lower as a loss).
HIGHER_IS_BETTER = {"ece": False, "brier_reliability": False, "brier_resolution": True,
                    "brier_uncertainty": False}
BINNINGS = ("width", "mass")
DEFAULT_BINS = 15
MAX_BINS = 1000


@dataclass(frozen=True)
class Binning:
    """How forecasts are grouped: ``bins`` bins of equal ``width`` or equal ``mass``."""

    bins: int = DEFAULT_BINS
    scheme: str = "width"

    def describe(self) -> dict[str, Any]:
        return {"bins": self.bins, "binning": self.scheme}


def parse_calibration(raw: Mapping[str, Any]) -> Binning:
    """The ``calibration:`` section (``{}`` for the defaults) as a :class:`Binning`.

    >>> parse_calibration({"bins": 10, "binning": "mass"})
    Binning(bins=10, scheme='mass')
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"calibration: {raw!r} is not a mapping; give e.g. {{bins: 15, binning: width}}")
    unknown = sorted(set(raw) - {"bins", "binning"})
    if unknown:
        raise ConfigError(f"calibration.{unknown[0]}: unknown key; valid keys: bins, binning")
    bins = raw.get("bins", DEFAULT_BINS)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= MAX_BINS:
        raise ConfigError(f"calibration.bins: {bins!r} is not a whole number from 1 to {MAX_BINS}; "
                          f"{DEFAULT_BINS} is usual")
    scheme = raw.get("binning", "width")
    if scheme not in BINNINGS:
        raise ConfigError(f"calibration.binning: {scheme!r} is not one of: {', '.join(BINNINGS)}")
    return Binning(bins, scheme)


def forecasts(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(forecast, outcome)`` per row: binary positive-class scores, or multiclass top-label ones.

    >>> f, o = forecasts(np.array([2, 0]), np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
    >>> f.tolist(), o.tolist()
    ([0.7, 0.6], [1.0, 0.0])
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y_true)
    if s.ndim == 1:
        return s, (y == 1).astype(np.float64)
    top = np.argmax(s, axis=1)
    return s[np.arange(len(s)), top], (top == y).astype(np.float64)


def assign_bins(forecast: np.ndarray, binning: Binning) -> np.ndarray:
    """The bin (0 .. bins-1) of each forecast.

    >>> assign_bins(np.array([0.0, 0.19, 0.2, 1.0]), Binning(5)).tolist()
    [0, 0, 1, 4]
    """
    f = np.asarray(forecast, dtype=np.float64)
    if binning.scheme == "width":
        # k/B computed exactly (not accumulated steps), so a forecast on an edge falls in the bin it opens.
        edges = np.arange(1, binning.bins) / binning.bins
    else:
        ordered = np.sort(f)
        edges = ordered[(np.arange(1, binning.bins) * len(f)) // binning.bins] if len(f) else np.array([])
    return np.searchsorted(edges, f, side="right").astype(np.int64)


def binned_sums(bins: np.ndarray, forecast: np.ndarray, outcome: np.ndarray, weights: np.ndarray,
                n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per resample and bin: the weight, the weighted forecast sum and the weighted outcome sum.

    ``weights`` has shape ``(b, n)`` (one row per resample); each result has shape ``(b, n_bins)``.
    """
    w = np.asarray(weights, dtype=np.float64)
    b = w.shape[0]
    flat = (np.arange(b, dtype=np.int64)[:, None] * n_bins + bins[None, :]).ravel()

    def total(values: np.ndarray) -> np.ndarray:
        summed = np.bincount(flat, weights=(w * values[None, :]).ravel(), minlength=b * n_bins)
        return summed.reshape(b, n_bins)

    return total(np.ones_like(forecast)), total(forecast), total(outcome)


def calibration_values(count: np.ndarray, forecast_sum: np.ndarray, outcome_sum: np.ndarray,
                       names: Sequence[str] = CALIBRATION_METRICS) -> dict[str, np.ndarray]:
    """The calibration metrics ``names`` from binned sums of shape ``(b, bins)``; NaN without items."""
    n = count.sum(axis=1)
    safe_n = np.where(n > 0, n, 1.0)
    filled = count > 0
    safe_count = np.where(filled, count, 1.0)
    overall = outcome_sum.sum(axis=1) / safe_n
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name == "ece":
            value = np.abs(forecast_sum - outcome_sum).sum(axis=1) / safe_n
        elif name == "brier_reliability":
            value = np.where(filled, (forecast_sum - outcome_sum) ** 2 / safe_count, 0.0).sum(axis=1) / safe_n
        elif name == "brier_resolution":
            frequency = outcome_sum / safe_count
            spread = np.where(filled, count * (frequency - overall[:, None]) ** 2, 0.0)
            value = spread.sum(axis=1) / safe_n
        elif name == "brier_uncertainty":
            value = overall * (1.0 - overall)
        else:  # pragma: no cover - names are validated against the catalog first
            raise KeyError(name)
        out[name] = np.where(n > 0, value, np.nan)
    return out


def point_values(y_true: np.ndarray, scores: np.ndarray, binning: Binning, names: Sequence[str],
                 sample_weight: np.ndarray | None = None) -> dict[str, float]:
    """The calibration metrics of one entry (rows weighted by ``sample_weight``, default 1 each).

    >>> point_values(np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.4]), Binning(2), ["ece"])
    {'ece': 0.25}
    """
    forecast, outcome = forecasts(y_true, scores)
    weights = np.ones(len(forecast)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    sums = binned_sums(assign_bins(forecast, binning), forecast, outcome, weights[None, :], binning.bins)
    return {name: float(v[0]) for name, v in calibration_values(*sums, names).items()}


def reliability_table(y_true: np.ndarray, scores: np.ndarray, binning: Binning,
                      sample_weight: np.ndarray | None = None) -> dict[str, list[float]]:
    """The reliability diagram's data: per non-empty bin its mean forecast, observed frequency and weight."""
    forecast, outcome = forecasts(y_true, scores)
    weights = np.ones(len(forecast)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    count, f_sum, o_sum = (s[0] for s in binned_sums(assign_bins(forecast, binning), forecast, outcome,
                                                      weights[None, :], binning.bins))
    filled = count > 0
    return {"forecast": (f_sum[filled] / count[filled]).tolist(),
            "observed": (o_sum[filled] / count[filled]).tolist(),
            "count": count[filled].tolist()}
