"""Paired p-values and intervals, Holm adjustment, exact McNemar, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from evalkit.tasks.classification.bootstrap import bootstrap_entries
from evalkit.uncertainty import Resampler, holm_adjust, mcnemar_exact, paired_comparison, verdict


def test_holm_hand_worked_example():
    # m = 5. Sorted: 0.001 (x5 = 0.005), 0.008 (x4 = 0.032), 0.012 (x3 = 0.036),
    # 0.04 (x2 = 0.08), 0.3 (x1 = 0.3); running max keeps them monotone.
    p = [0.04, 0.001, 0.3, 0.012, 0.008]
    np.testing.assert_allclose(holm_adjust(p), [0.08, 0.005, 0.3, 0.036, 0.032], rtol=1e-12)
    # With alpha = 0.05 Holm rejects the three smallest and stops at 0.04 > 0.05 / 2.
    assert (holm_adjust(p) < 0.05).tolist() == [False, True, False, True, True]


def test_holm_running_max_and_cap_and_nan():
    # Sorted 0.02 (x3 = 0.06), 0.025 (x2 = 0.05 -> max 0.06), 0.9 (x1); NaN is left out of m.
    np.testing.assert_allclose(holm_adjust([0.9, 0.025, np.nan, 0.02]), [0.9, 0.06, np.nan, 0.06])
    np.testing.assert_allclose(holm_adjust([0.5, 0.6]), [1.0, 1.0])
    assert holm_adjust([]).size == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60))
def test_mcnemar_equals_scipy_binomtest(a_only, b_only):
    both_right = 7
    y = np.zeros(a_only + b_only + both_right + 3, dtype=int)
    a = np.concatenate([np.zeros(a_only), np.ones(b_only), np.zeros(both_right), np.ones(3)]).astype(int)
    b = np.concatenate([np.ones(a_only), np.zeros(b_only), np.zeros(both_right), np.ones(3)]).astype(int)
    result = mcnemar_exact(y, a, b)
    assert (result.a_only, result.b_only) == (a_only, b_only)
    expected = binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
    assert result.p_value == expected


def test_mcnemar_multiclass_labels():
    y = np.array([0, 1, 2, 2, 1, 0, 2])
    a = np.array([0, 1, 2, 0, 1, 0, 1])
    b = np.array([1, 1, 0, 2, 2, 0, 1])
    result = mcnemar_exact(y, a, b)
    assert (result.a_only, result.b_only) == (3, 1)
    assert result.p_value == binomtest(3, 4, 0.5).pvalue


def test_paired_p_value_construction():
    d = np.array([0.3, 0.1, -0.2, 0.0, 0.4, 0.2, 0.1, 0.05, 0.3])  # 2 at or below 0, 8 at or above
    c = paired_comparison(d + 1.0, np.ones(9), 0.8, estimate_a=1.2, estimate_b=1.0)
    assert c.p_value == pytest.approx(2 * (1 + 2) / (9 + 1))
    assert c.a_higher is True and c.n_resamples == 9
    assert c.difference == pytest.approx(0.2)
    assert (c.lower, c.upper) == pytest.approx(np.quantile(d, [0.1, 0.9]))


def test_identical_entries_are_not_distinguishable():
    v = np.random.default_rng(0).random(100)
    c = paired_comparison(v, v.copy(), 0.95, estimate_a=0.5, estimate_b=0.5)
    assert c.p_value == 1.0 and c.a_higher is None
    assert verdict(c.p_value, c.a_higher, alpha=0.05, higher_is_better=True) == "not distinguishable"


def test_nan_resamples_are_dropped_pairwise():
    a = np.array([0.5, np.nan, 0.7, 0.9])
    b = np.array([0.4, 0.3, np.nan, 0.1])
    c = paired_comparison(a, b, 0.9, estimate_a=0.7, estimate_b=0.3)
    assert c.n_resamples == 2


def test_paired_bootstrap_detects_a_clearly_better_model():
    rng = np.random.default_rng(1)
    n = 400
    y = rng.integers(0, 2, n)
    good = np.where(rng.random(n) < 0.9, y, 1 - y)
    bad = np.where(rng.random(n) < 0.7, y, 1 - y)
    rs = Resampler(n, 999, seed=0)
    values = bootstrap_entries("binary", ["accuracy"], y, {"good": (good, None), "bad": (bad, None)}, rs)
    c = paired_comparison(
        values["good"]["accuracy"],
        values["bad"]["accuracy"],
        0.95,
        estimate_a=float(np.mean(good == y)),
        estimate_b=float(np.mean(bad == y)),
    )
    assert c.p_value == pytest.approx(2 / 1000) and c.lower > 0
    assert verdict(c.p_value, c.a_higher, alpha=0.05, higher_is_better=True) == "better"
    # For a lower-is-better metric the same evidence means worse, and the reverse comparison too.
    assert verdict(c.p_value, c.a_higher, alpha=0.05, higher_is_better=False) == "worse"
    assert verdict(c.p_value, not c.a_higher, alpha=0.05, higher_is_better=True) == "worse"


@pytest.mark.parametrize(
    ("p", "expected"), [(0.049, "better"), (0.05, "not distinguishable"), (np.nan, "not distinguishable")]
)
def test_verdict_threshold_is_strict(p, expected):
    assert verdict(p, True, alpha=0.05, higher_is_better=True) == expected
