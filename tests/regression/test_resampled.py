"""Bootstrap values of the regression metrics: each row of a weights block equals the point metric computed on
that resample expanded with np.repeat."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.errors import DataError
from evalkit.tasks.regression.errors import error_metrics, parse_error_spec
from evalkit.tasks.regression.metrics import REGRESSION_METRICS, regression_metric
from evalkit.tasks.regression.resampled import (
    ErrorPlan,
    RegressionPlan,
    resampled_error_values,
    resampled_values,
)
from evalkit.uncertainty.resampling import Resampler

NAMES = list(REGRESSION_METRICS)
# Multiples of 1/7 are not binary fractions (sums round) but stay at least 1/7 apart, so R² is well
# conditioned; repeats make ties and constant resamples common.
values = st.integers(-300, 300).map(lambda k: k / 7)


@st.composite
def blocks(draw, min_rows: int = 1):
    n = draw(st.integers(1, 25))
    y = draw(arrays(np.float64, n, elements=values))
    p = draw(arrays(np.float64, n, elements=values))
    rows = draw(st.integers(min_rows, 6))
    # Mostly 0, 1 and 2 like real bootstrap counts, with whole rows of zeros now and then.
    W = draw(arrays(np.int32, (rows, n), elements=st.sampled_from([0, 0, 1, 1, 1, 2, 3])))
    return y, p, W


def assert_row_equals(got: float, expected: float, name: str) -> None:
    if math.isnan(expected):
        assert math.isnan(got), name
    else:
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-10), name


@settings(max_examples=100, deadline=None)
@given(blocks())
def test_each_row_equals_the_point_metric_on_the_expanded_resample(block):
    y, p, W = block
    got = resampled_values(NAMES, y, p, W)
    for r, w in enumerate(W):
        for name in NAMES:
            if w.sum() == 0:
                assert math.isnan(got[name][r]), name  # an empty resample has no value
                continue
            expected = regression_metric(name, np.repeat(y, w), np.repeat(p, w))
            assert_row_equals(got[name][r], expected, name)


@settings(max_examples=100, deadline=None)
@given(blocks(), st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0, 40.0]), unique=True, max_size=3))
def test_each_row_of_a_named_error_equals_its_metrics_on_the_expanded_resample(block, tolerances):
    _, e, W = block
    e = np.abs(e)
    spec = parse_error_spec("err", {"kind": "absolute", "column": "v", "tolerances": tolerances})
    got = resampled_error_values(spec, e, W)
    for r, w in enumerate(W):
        if w.sum() == 0:
            assert all(math.isnan(v[r]) for v in got.values())
            continue
        for name, expected in error_metrics(spec, np.repeat(e, w)).items():
            assert_row_equals(got[name][r], expected, name)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 1e3)), st.integers(0, 2**31 - 1))
def test_quantiles_equal_np_percentile_bit_for_bit_on_any_floats(e, seed):
    W = np.random.default_rng(seed).poisson(1.0, size=(4, e.size)).astype(np.uint8)
    spec = parse_error_spec("e", {"kind": "absolute", "column": "v"})
    got = resampled_error_values(spec, e, W)
    for r, w in enumerate(W):
        if w.sum():
            for suffix, q in (("median", 50), ("p90", 90), ("p95", 95), ("max", 100)):
                assert got[f"e_{suffix}"][r] == np.percentile(np.repeat(e, w), q)


def test_a_block_of_the_real_resampler_matches_the_index_form_resamples():
    rng = np.random.default_rng(5)
    y = rng.normal(size=300)
    p = y + rng.normal(0.2, 1.0, size=300)
    resampler = Resampler(n_items=300, resamples=20, seed=3, method="poisson", block_size=7)
    plan = RegressionPlan(NAMES, y, p)
    got = {name: np.concatenate([plan(W)[name] for _, W in resampler.blocks(compact=True)]) for name in NAMES}
    for r in range(20):
        idx = resampler.indices(r)
        for name in NAMES:
            assert_row_equals(got[name][r], regression_metric(name, y[idx], p[idx]), name)


def test_nearly_constant_resamples_keep_r2_exact():
    # One item far from the rest: resamples without it have a truth spread of 1e-3 around 1e3, where the
    # one-pass variance about the full mean would lose most of its digits.
    y = np.r_[1000.0 + 1e-3 * np.arange(9), -1e6]
    p = y + np.linspace(-1e-3, 1e-3, 10)
    W = np.ones((3, 10), dtype=np.int32)
    W[:, -1] = 0
    W[1, :3] = 0
    W[2, 1:9] = 0  # a single drawn item: constant truth
    W[2, 0] = 2
    got = resampled_values(["r2", "explained_variance"], y, p, W)
    for r in range(3):
        for name in got:
            expected = regression_metric(name, np.repeat(y, W[r]), np.repeat(p, W[r]))
            assert_row_equals(got[name][r], expected, name)


def test_constant_truth_gives_the_force_finite_values_on_every_resample():
    y = np.full(6, 0.1)
    W = np.array([[1, 1, 1, 1, 1, 1], [0, 3, 0, 3, 0, 0]])
    got = resampled_values(["r2", "explained_variance"], y, y + np.arange(6), W)
    assert got["r2"].tolist() == [0.0, 0.0]
    assert resampled_values(["r2"], y, y, W)["r2"].tolist() == [1.0, 1.0]


def test_r2_of_a_resample_with_one_draw_is_nan_like_scikit_learn():
    W = np.array([[1, 0], [0, 0]])
    got = resampled_values(["r2", "mae"], np.array([1.0, 2.0]), np.array([1.5, 2.0]), W)
    assert math.isnan(got["r2"][0]) and got["mae"][0] == 0.5
    assert math.isnan(got["r2"][1]) and math.isnan(got["mae"][1])


def test_slices_of_items_give_the_same_values_as_one_product(monkeypatch):
    import evalkit.tasks.regression.resampled as resampled

    rng = np.random.default_rng(8)
    y, p = rng.normal(size=50), rng.normal(size=50)
    W = rng.poisson(1.0, size=(9, 50)).astype(np.uint8)
    spec = parse_error_spec("e", {"kind": "absolute", "column": "v", "tolerances": [0.5]})
    together = resampled_values(NAMES, y, p, W) | resampled_error_values(spec, np.abs(y - p), W)
    monkeypatch.setattr(resampled, "SLICE_ELEMENTS", 10**9)
    apart = resampled_values(NAMES, y, p, W) | resampled_error_values(spec, np.abs(y - p), W)
    for name, value in together.items():
        np.testing.assert_allclose(apart[name], value, rtol=1e-13, err_msg=name)


def test_bad_weights_are_a_data_error():
    plan = ErrorPlan(parse_error_spec("e", {"kind": "absolute", "column": "v"}), np.ones(3))
    with pytest.raises(DataError, match=r"weights should have shape \(n,\) or \(resamples, n\) with n = 3"):
        plan(np.ones((2, 4), dtype=np.int32))
    with pytest.raises(DataError, match="non-negative counts"):
        plan(np.array([[1, -1, 1]]))
    with pytest.raises(DataError, match="integer counts"):
        plan(np.ones((1, 3)))


@settings(max_examples=50, deadline=None)
@given(blocks())
def test_rows_whose_quantile_falls_outside_its_search_window_are_still_exact(block):
    import evalkit.tasks.regression.resampled as resampled

    y, p, W = block
    original = (resampled.WINDOW_SDS, resampled.WINDOW_MIN)
    # Windows of one or two items: most rows fall outside and take the full path.
    resampled.WINDOW_SDS, resampled.WINDOW_MIN = 0, 1
    try:
        got = resampled_values(["median_ae", "max_error"], y, p, W)
        spec = parse_error_spec("e", {"kind": "absolute", "column": "v"})
        errors = resampled_error_values(spec, np.abs(p), W)
    finally:
        resampled.WINDOW_SDS, resampled.WINDOW_MIN = original
    for r, w in enumerate(W):
        if w.sum():
            assert got["median_ae"][r] == np.median(np.abs(np.repeat(p - y, w)))
            assert got["max_error"][r] == np.max(np.abs(np.repeat(y - p, w)))
            for suffix, q in (("median", 50), ("p90", 90), ("p95", 95), ("max", 100)):
                assert errors[f"e_{suffix}"][r] == np.percentile(np.repeat(np.abs(p), w), q)


def test_quantiles_of_many_items_are_found_within_their_windows_and_exact():
    rng = np.random.default_rng(11)
    n = 40_000  # windows of about 4,000 of the 40,000 sorted items
    e = rng.gamma(2.0, 1.0, n)
    resampler = Resampler(n_items=n, resamples=6, seed=2)
    spec = parse_error_spec("e", {"kind": "absolute", "column": "v", "tolerances": [1]})
    plan = ErrorPlan(spec, e)
    assert all(b - a < n / 4 for a, b in plan.sorted.windows.values())
    for start, W in resampler.blocks():
        got = plan(W)
        for i in range(W.shape[0]):
            expanded = e[resampler.indices(start + i)]
            for suffix, q in (("median", 50), ("p90", 90), ("p95", 95), ("max", 100)):
                assert got[f"e_{suffix}"][i] == np.percentile(expanded, q)


def test_several_predictions_on_one_block_equal_their_separate_plans():
    from evalkit.tasks.regression.resampled import RegressionPlans

    rng = np.random.default_rng(4)
    y = rng.normal(size=120)
    preds = [y + rng.normal(k, 1.0, size=120) for k in range(3)]
    W = rng.poisson(1.0, size=(5, 120)).astype(np.uint8)
    together = RegressionPlans(NAMES, y, preds)(W)
    for p, values in zip(preds, together, strict=True):
        alone = RegressionPlan(NAMES, y, p)(W)
        for name in NAMES:
            np.testing.assert_allclose(values[name], alone[name], rtol=1e-13, err_msg=name)


def test_explained_variance_stays_exact_when_the_bias_dwarfs_the_spread():
    rng = np.random.default_rng(9)
    y = rng.normal(size=200)
    p = y + 1e4 + rng.normal(0, 1e-2, size=200)  # spread of the differences 1e-6 of their mean square
    W = rng.poisson(1.0, size=(4, 200)).astype(np.uint8)
    got = resampled_values(["explained_variance", "mean_error"], y, p, W)
    for r, w in enumerate(W):
        expected = regression_metric("explained_variance", np.repeat(y, w), np.repeat(p, w))
        assert got["explained_variance"][r] == pytest.approx(expected, rel=1e-10)
