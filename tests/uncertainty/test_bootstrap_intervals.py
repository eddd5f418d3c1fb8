"""Percentile intervals, Wilson intervals, and the Wilson fallback at 0% and 100%."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from evalkit.errors import ConfigError
from evalkit.tasks.classification.bootstrap import bootstrap_metric_values
from evalkit.tasks.classification.intervals import metric_intervals, proportion_counts
from evalkit.uncertainty import Resampler, metric_interval, percentile_interval, wilson_interval


def test_percentile_interval_skips_undefined_values():
    values = np.concatenate([np.arange(1.0, 101.0), [np.nan] * 5])
    lower, upper, n_undefined = percentile_interval(values, 0.9)
    assert (lower, upper) == pytest.approx(np.quantile(np.arange(1.0, 101.0), [0.05, 0.95]))
    assert n_undefined == 5


def test_wilson_matches_the_formula():
    s, n, z = 7, 20, norm.ppf(0.975)
    p = s / n
    center = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    lower, upper = wilson_interval(s, n, 0.95)
    assert (float(lower), float(upper)) == pytest.approx((center - half, center + half), abs=1e-12)


def test_wilson_at_the_boundaries_has_width():
    lower, upper = wilson_interval(np.array([0, 50]), np.array([50, 50]), 0.95)
    z2 = norm.ppf(0.975) ** 2
    assert lower[0] == 0.0 and upper[0] == pytest.approx(z2 / (50 + z2))
    assert upper[1] == 1.0 and lower[1] == pytest.approx(50 / (50 + z2))


@pytest.mark.parametrize("correct", [0, 1])
def test_accuracy_at_0_and_100_percent_falls_back_to_wilson(correct):
    n = 40
    y = np.array([0, 1] * (n // 2))
    labels = y if correct else 1 - y
    values = bootstrap_metric_values("binary", ["accuracy"], y, labels, None, Resampler(n, 200, seed=0))
    assert np.ptp(values["accuracy"]) == 0  # the bootstrap alone would claim certainty
    iv = metric_intervals("binary", y, labels, None, values, 0.95)["accuracy"]
    assert iv.method == "wilson" and iv.estimate == correct
    assert iv.upper - iv.lower > 0.05
    expected = wilson_interval(n * correct, n, 0.95)
    assert (iv.lower, iv.upper) == pytest.approx((float(expected[0]), float(expected[1])))


def test_precision_recall_f1_use_their_own_counts():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0])  # precision 100% (2 of 2), recall 50% (2 of 4)
    values = bootstrap_metric_values(
        "binary", ["precision", "recall", "f1"], y, labels, None, Resampler(8, 300, seed=1)
    )
    ivs = metric_intervals("binary", y, labels, None, values, 0.9)
    assert ivs["precision"].method == "wilson"
    assert ivs["precision"].lower == pytest.approx(float(wilson_interval(2, 2, 0.9)[0]))
    assert ivs["recall"].method == "percentile" and ivs["f1"].method == "percentile"
    counts = proportion_counts("binary", "f1", y, labels)
    assert counts.successes.tolist() == [2] and counts.trials.tolist() == [3.0]  # TP + (FP + FN) / 2


def test_per_class_metric_at_100_percent_averages_class_wilson_bounds():
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    values = bootstrap_metric_values(
        "multiclass",
        ["balanced_accuracy", "f1_weighted"],
        y,
        y,
        None,
        Resampler(12, 100, seed=0),
        n_classes=4,
    )
    ivs = metric_intervals("multiclass", y, y, None, values, 0.95, n_classes=4)
    lows = wilson_interval(np.array([6, 2, 4]), np.array([6, 2, 4]), 0.95)[0]
    assert ivs["balanced_accuracy"].method == "wilson"
    assert ivs["balanced_accuracy"].lower == pytest.approx(lows.mean())  # class 3 absent: left out
    assert ivs["f1_weighted"].lower == pytest.approx(np.average(lows, weights=[6, 2, 4]))
    assert ivs["balanced_accuracy"].upper == 1.0


def test_non_proportions_never_fall_back():
    values = np.full(50, 1.0)
    iv = metric_interval(values, 0.95, estimate=1.0, counts=None)
    assert iv.method == "percentile" and iv.lower == iv.upper == 1.0


def test_interior_proportion_keeps_percentile_interval():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    labels = np.where(rng.random(60) < 0.8, y, 1 - y)
    values = bootstrap_metric_values("binary", ["accuracy"], y, labels, None, Resampler(60, 300, seed=2))
    iv = metric_intervals("binary", y, labels, None, values, 0.95)["accuracy"]
    assert iv.method == "percentile"
    assert (iv.lower, iv.upper) == pytest.approx(np.quantile(values["accuracy"], [0.025, 0.975]))


def test_all_undefined_gives_undefined_interval():
    iv = metric_interval(np.full(10, np.nan), 0.95, estimate=float("nan"))
    assert iv.method == "undefined" and np.isnan(iv.lower) and iv.n_undefined == 10


@pytest.mark.parametrize("level", [0, 1, 95])
def test_level_must_be_a_fraction(level):
    with pytest.raises(ConfigError, match="level="):
        percentile_interval(np.ones(3), level)
