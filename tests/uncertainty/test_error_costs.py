"""Costs of errors: ``expected_cost`` is the mean cost per item, from items or from confusion counts alike."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.classification.bootstrap import bootstrap_metric_values, weighted_metric_values
from evalkit.tasks.classification.catalog import MetricSettings
from evalkit.tasks.classification.error_costs import (
    check_classes,
    cost_of_confusion,
    expected_cost_from_counts,
    item_amounts,
    item_costs,
    parse_costs,
)
from evalkit.uncertainty import Resampler

FP_FN = parse_costs({"false_positive": 1, "false_negative": 5}, binary=True)
PER_ITEM_FN = parse_costs({"false_positive": 2, "false_negative": {"column": "amount"}}, binary=True)


def direct_binary_cost(y, labels, fp_cost, fn_cost) -> float:
    """The definition, item by item: what each wrong prediction costs, averaged over the items."""
    total = 0.0
    for i in range(len(y)):
        fn = fn_cost[i] if isinstance(fn_cost, list) else fn_cost
        if y[i] == 0 and labels[i] == 1:
            total += fp_cost
        elif y[i] == 1 and labels[i] == 0:
            total += fn
    return total / len(y)


binary_items = st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n), st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=n, max_size=n)))
unit_costs = st.floats(0, 100, allow_nan=False)


@settings(max_examples=30, deadline=None)
@given(binary_items, unit_costs, unit_costs)
def test_expected_cost_from_counts_equals_the_direct_per_item_computation(items, fp_cost, fn_cost):
    y, labels, _ = (np.array(v) for v in items)
    costs = parse_costs({"false_positive": fp_cost, "false_negative": fn_cost}, binary=True)
    tp, fp = np.sum((y == 1) & (labels == 1)), np.sum((y == 0) & (labels == 1))
    fn, tn = np.sum((y == 1) & (labels == 0)), np.sum((y == 0) & (labels == 0))
    expected = direct_binary_cost(y, labels, fp_cost, fn_cost)
    assert math.isclose(float(expected_cost_from_counts(tp, fp, fn, tn, costs)), expected, rel_tol=1e-12,
                        abs_tol=1e-12)
    assert math.isclose(float(np.mean(item_costs(costs, y, labels))), expected, rel_tol=1e-12, abs_tol=1e-12)
    cm = np.array([[[tn, fp], [fn, tp]]], dtype=float)
    assert math.isclose(float(cost_of_confusion(cm, costs)[0]), expected, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(binary_items)
def test_per_item_costs_from_a_column_equal_the_direct_computation(items):
    y, labels, amount = (np.array(v) for v in items)
    expected = direct_binary_cost(y, labels, 2.0, list(amount))
    per_item = item_costs(PER_ITEM_FN, y, labels, {"amount": amount})
    assert math.isclose(float(np.mean(per_item)), expected, rel_tol=1e-12, abs_tol=1e-9)
    # A threshold sweep passes the column's sum over the false negatives with the counts.
    is_fn = (y == 1) & (labels == 0)
    tp, fp, tn = (np.sum((y == t) & (labels == p)) for t, p in ((1, 1), (0, 1), (0, 0)))
    from_counts = expected_cost_from_counts(tp, fp, is_fn.sum(), tn, PER_ITEM_FN,
                                            fn_amount=amount[is_fn].sum())
    assert math.isclose(float(from_counts), expected, rel_tol=1e-12, abs_tol=1e-9)


def test_counts_are_vectorised_over_thresholds_and_empty_sets_are_undefined():
    values = expected_cost_from_counts(np.array([40, 45, 0]), np.array([10, 20, 0]), np.array([5, 0, 0]),
                                       np.array([45, 35, 0]), FP_FN)
    np.testing.assert_allclose(values[:2], [(10 + 25) / 100, 20 / 100])
    assert np.isnan(values[2])
    with pytest.raises(ValueError, match="fn_amount"):
        expected_cost_from_counts(1, 1, 1, 1, PER_ITEM_FN)


def test_a_multiclass_matrix_costs_each_cell_in_the_class_order():
    costs = parse_costs({"matrix": [[0, 1, 2], [3, 0, 4], [5, 6, 0]]}, binary=False)
    y, labels = np.array([0, 0, 1, 2, 2]), np.array([1, 2, 2, 0, 2])
    assert item_costs(costs, y, labels).tolist() == [1, 2, 4, 5, 0]
    check_classes(costs, ("a", "b", "c"))
    with pytest.raises(ConfigError, match=r"costs.matrix: 3x3, but the truth has 2 classes \(a, b\)"):
        check_classes(costs, ("a", "b"))


def test_bootstrap_values_equal_the_mean_cost_of_each_resample():
    rng = np.random.default_rng(3)
    y, labels, amount = rng.integers(0, 2, 50), rng.integers(0, 2, 50), rng.gamma(2, 10, 50)
    own = MetricSettings(costs=PER_ITEM_FN, amounts={"amount": amount})
    ones = weighted_metric_values("binary", ["expected_cost"], y, labels, None, np.ones(50, dtype=int),
                                  settings=own)["expected_cost"]
    assert ones[0] == pytest.approx(direct_binary_cost(y, labels, 2.0, list(amount)), rel=1e-12)
    rs = Resampler(50, 30, seed=1)
    values = bootstrap_metric_values("binary", ["expected_cost"], y, labels, None, rs, settings=own)
    for r in range(rs.resamples):
        idx = rs.indices(r)
        assert values["expected_cost"][r] == pytest.approx(
            direct_binary_cost(y[idx], labels[idx], 2.0, list(amount[idx])), rel=1e-12)


@pytest.mark.parametrize(("raw", "binary", "message"), [
    ({"false_positive": -1, "false_negative": 5}, True, r"costs.false_positive: -1 is negative"),
    ({"false_positive": float("nan")}, True, r"costs.false_positive: nan is not finite"),
    ({"false_negative": float("inf")}, True, r"costs.false_negative: inf is not finite"),
    ({"false_negative": "5"}, True, r"costs.false_negative: '5' is not a number"),
    ({"false_negative": True}, True, r"costs.false_negative: True is not a number"),
    ({"false_negative": {"col": "amount"}}, True, r"costs.false_negative: a per-item cost is \{column: "),
    ({"matrix": [[0, 1], [5]]}, True, r"costs.matrix: row 1 has 1 values but there are 2 rows"),
    ({"matrix": [[0, 1, 1], [1, 0, 1], [1, 1, 0]]}, True, r"costs.matrix: 3x3, but the binary task needs"),
    ({"matrix": [[0, -2], [1, 0]]}, True, r"costs.matrix\[0\]\[1\]: -2 is negative"),
    ({"matrix": "[[0, 1], [1, 0]]"}, True, r"costs.matrix: give a square list of lists"),
    ({"matrix": [[0, 1], [1, 0]], "false_negative": 3}, True, r"costs: give either matrix or"),
    ({"false_negative": 5}, False, r"apply to the binary task only; for multiclass give costs.matrix"),
    ({"false_negatives": 5}, True, r"costs.false_negatives: unknown key"),
    ({}, True, r"costs: give \{false_positive"),
])
def test_impossible_costs_are_refused_naming_the_field(raw, binary, message):
    with pytest.raises(ConfigError, match=message):
        parse_costs(raw, binary=binary)


@pytest.mark.parametrize(("values", "message"), [
    (["1", "-3", "2"], r"truth.csv: column 'amount' \(per-item costs\) has 1 value\(s\)"),
    (["1", "", "2"], r"has 1 value\(s\) that are empty, not numbers"),
    (["1", "ten", "inf"], r"has 2 value\(s\)"),
])
def test_per_item_cost_columns_must_hold_costs(values, message):
    table = pd.DataFrame({"amount": values})
    with pytest.raises(DataError, match=message):
        item_amounts("amount", table, source="truth.csv")
    with pytest.raises(DataError, match=r"truth.csv: no column 'total' for the per-item costs"):
        item_amounts("total", table, source="truth.csv")
    np.testing.assert_array_equal(item_amounts("amount", pd.DataFrame({"amount": ["1.5", "0"]}), source="t"),
                                  [1.5, 0.0])
