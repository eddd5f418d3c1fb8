"""Single-target regression metrics: equal to scikit-learn, with its edge cases, and registered with direction
and range."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evalkit.errors import ConfigError, DataError
from evalkit.metrics.registry import MetricSpec, check_stated_value
from evalkit.tasks.regression.metrics import REGRESSION_METRICS, regression_metric


def sklearn_reference(name: str, t: np.ndarray, p: np.ndarray) -> float:
    from sklearn import metrics as m

    oracle = {
        "mae": m.mean_absolute_error, "mse": m.mean_squared_error, "rmse": m.root_mean_squared_error,
        "r2": m.r2_score, "mape": m.mean_absolute_percentage_error, "median_ae": m.median_absolute_error,
        "max_error": m.max_error, "explained_variance": m.explained_variance_score,
        "mean_error": lambda a, b: float(np.mean(b - a)),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # r2 on one item warns and returns NaN
        return float(oracle[name](t, p))


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
# Repeated and zero values are common, so constant truths and zero truths (MAPE) come up often.
pairs = st.integers(1, 40).flatmap(lambda n: st.tuples(
    arrays(np.float64, n, elements=st.one_of(finite, st.sampled_from([0.0, 1.0, -2.5]))),
    arrays(np.float64, n, elements=st.one_of(finite, st.sampled_from([0.0, 1.0, -2.5])))))


def test_every_metric_of_the_issue_is_registered_as_a_metric_spec():
    assert set(REGRESSION_METRICS) == {"mae", "mse", "rmse", "r2", "mape", "median_ae", "max_error",
                                       "explained_variance", "mean_error"}
    assert all(isinstance(s, MetricSpec) and s.description for s in REGRESSION_METRICS.values())


@pytest.mark.parametrize("name", sorted(REGRESSION_METRICS))
def test_metric_equals_scikit_learn_on_fixed_random_data(name):
    rng = np.random.default_rng(0)
    t = rng.normal(10, 3, 500)
    p = t + rng.normal(0.5, 2, 500)
    assert regression_metric(name, t, p) == pytest.approx(sklearn_reference(name, t, p), rel=1e-12, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(pairs)
def test_every_metric_equals_scikit_learn_on_random_data(pair):
    t, p = pair
    # Only a truth whose rounded variance is non-zero although it is constant can differ from
    # scikit-learn (see the test below); with a varying or an exactly-summing truth they agree.
    constant_truth = np.ptp(t) == 0
    for name in REGRESSION_METRICS:
        ours, theirs = regression_metric(name, t, p), sklearn_reference(name, t, p)
        if constant_truth and name in ("r2", "explained_variance") and len(t) > 1:
            assert ours in (0.0, 1.0)
            continue
        if name == "explained_variance" and len(t) > 1 and np.ptp(t - p) == 0:
            # A residual that is constant as computed is a bias, fully explained: 1.0. scikit-learn
            # subtracts the residuals' rounded mean and divides what is left by the truth's variance,
            # which can be as small as the rounding (t = [5e-47, 0, ...], p = 1.01: -3.2e62).
            assert ours == 1.0
            continue
        if math.isnan(theirs):
            assert math.isnan(ours), name
        else:
            assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12), name


def test_constant_truth_follows_force_finite():
    t = np.array([2.0, 2.0, 2.0])
    off = t + np.array([0.0, 0.0, 1.0])
    assert regression_metric("r2", t, t) == sklearn_reference("r2", t, t) == 1.0
    assert regression_metric("r2", t, off) == sklearn_reference("r2", t, off) == 0.0
    assert regression_metric("explained_variance", t, t + 1) == 1.0  # a constant bias is fully explained
    assert regression_metric("explained_variance", t, off) == 0.0


def test_constant_truth_gives_zero_where_scikit_learn_rounds_to_a_huge_negative_number():
    t = np.array([0.1, 0.1, 0.1])
    p = np.array([0.0, 0.1, 0.2])
    assert sklearn_reference("r2", t, p) < -1e20  # the rounded mean is 0.10000000000000002
    assert regression_metric("r2", t, p) == 0.0
    assert regression_metric("explained_variance", t, p) == 0.0


def test_a_residual_constant_as_computed_is_a_bias_where_scikit_learn_divides_rounding_by_rounding():
    # Found by hypothesis: the truth varies below the rounding of the residuals, which are all -1.01.
    t = np.zeros(18)
    t[0] = 5.38797103e-47
    p = np.full(18, 1.01)
    assert sklearn_reference("explained_variance", t, p) < -1e60
    assert regression_metric("explained_variance", t, p) == 1.0


def test_r2_of_one_item_is_nan_as_in_scikit_learn():
    assert math.isnan(regression_metric("r2", np.array([1.0]), np.array([2.0])))


def test_mape_divides_a_zero_truth_by_machine_epsilon():
    t, p = np.array([0.0, 2.0]), np.array([1.0, 1.0])
    assert regression_metric("mape", t, p) == pytest.approx((1 / np.finfo(float).eps + 0.5) / 2, rel=1e-15)


def test_mean_error_is_signed_prediction_minus_truth():
    assert regression_metric("mean_error", np.array([1.0, 1.0]), np.array([0.0, 1.0])) == -0.5


@pytest.mark.parametrize(("name", "low", "high", "higher"), [
    ("mae", 0.0, math.inf, False), ("r2", -math.inf, 1.0, True), ("explained_variance", -math.inf, 1.0, True),
    ("mean_error", -math.inf, math.inf, False), ("mape", 0.0, math.inf, False)])
def test_registry_gives_direction_and_range(name, low, high, higher):
    spec = REGRESSION_METRICS[name]
    assert spec.value_range == (low, high)
    assert spec.higher_is_better is higher
    assert spec.bounded is False


def test_a_stated_value_is_checked_against_the_regression_range():
    # A negative R² is a valid value (worse than predicting the mean).
    check_stated_value(REGRESSION_METRICS["r2"], -3.0, where="baselines.paper.metrics.r2")
    with pytest.raises(ConfigError, match=r"baselines.paper.metrics.r2: 1.5 is outside the range of r2"):
        check_stated_value(REGRESSION_METRICS["r2"], 1.5, where="baselines.paper.metrics.r2")
    with pytest.raises(ConfigError, match="outside the range of mae"):
        check_stated_value(REGRESSION_METRICS["mae"], -1.0, where="baselines.paper.metrics.mae")


def test_unknown_name_and_bad_shapes_fail_with_one_line():
    with pytest.raises(ConfigError, match="unknown regression metric 'rsme'; valid metrics: mae"):
        regression_metric("rsme", np.ones(2), np.ones(2))
    with pytest.raises(DataError, match="same length"):
        regression_metric("mae", np.ones(2), np.ones(3))
    with pytest.raises(DataError, match="empty"):
        regression_metric("mae", np.ones(0), np.ones(0))


def test_no_scikit_learn_import_at_run_time():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from evalkit.tasks.regression.metrics import regression_metric as f; "
            "[f(n, np.arange(3.0), np.ones(3)) for n in ('mae', 'r2', 'median_ae')]; "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
