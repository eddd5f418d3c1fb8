"""Formula.evaluate and evaluate_array: per-entry failures give None (NaN) with a reason, never a number."""

import doctest
import math

import numpy as np
import pytest

import evalkit.strategies.formula as formula_module
from evalkit.strategies.formula import FormulaResult, parse_formula

# (expression, metric values, words the reason must contain)
FAILURES = [
    (
        "recall + missing",
        {"recall": 0.5},
        "metric 'missing' is not available for this entry (available: recall)",
    ),
    ("recall - 0.5 * (1 - precision)", {"recall": 0.5, "precision": None}, "metric 'precision' is null"),
    ("precision * 0", {"precision": None}, "metric 'precision' is null"),  # no silent 0
    ("precision ** 0", {"precision": math.nan}, "metric 'precision' is NaN"),  # nan ** 0 would be 1
    ("precision", {"precision": math.inf}, "metric 'precision' is infinite"),
    ("precision", {"precision": "0.5"}, "metric 'precision' is not a number"),
    ("tp / (tp + fp)", {"tp": 0.0, "fp": 0.0}, "division by zero: 'tp + fp' is 0 in 'tp / (tp + fp)'"),
    ("1 / (a - a)", {"a": 0.3}, "division by zero"),
    ("log(a)", {"a": 0.0}, "log of a non-positive number (0) in 'log(a)'"),
    ("log(a)", {"a": -1.0}, "log of a non-positive number (-1)"),
    ("sqrt(a)", {"a": -0.25}, "square root of a negative number (-0.25) in 'sqrt(a)'"),
    ("a ** -1", {"a": 0.0}, "zero raised to a negative power in 'a ** -1'"),
    ("a ** 0.5", {"a": -4.0}, "negative number (-4) raised to a non-integer power"),
    ("a ** 400", {"a": 10.0}, "'a ** 400' overflows"),
    ("a * a", {"a": 1e200}, "'a * a' overflows"),
    ("a / b", {"a": 1e300, "b": 1e-300}, "'a / b' overflows"),
    ("-a - a", {"a": 1.7e308}, "overflows"),
    ("1 / (a * a)", {"a": 1e-200}, "division by zero"),  # the product underflows to 0
]


@pytest.mark.parametrize(("expression", "values", "reason"), FAILURES)
def test_each_failure_gives_none_with_a_reason(expression: str, values: dict, reason: str) -> None:
    result = parse_formula(expression).evaluate(values)
    assert result == FormulaResult(None, result.reason)
    assert not result.ok
    assert reason in (result.reason or "")


# Every failure except the non-number, which an array of floats cannot hold.
ARRAY_FAILURES = [case for case in FAILURES if not any(isinstance(v, str) for v in case[1].values())]


@pytest.mark.parametrize(("expression", "values", "reason"), ARRAY_FAILURES)
def test_each_failure_is_nan_in_the_array_form(expression: str, values: dict, reason: str) -> None:
    # Element 0 fails as in the scalar case; element 1 is a healthy entry and must match the scalar form.
    healthy = dict.fromkeys(values, 2.0)
    arrays = {k: np.array([v, healthy[k]], dtype=object) for k, v in values.items()}
    f = parse_formula(expression)
    out = f.evaluate_array(arrays)
    assert math.isnan(out[0])
    expected = f.evaluate(healthy).value
    assert out[1] == pytest.approx(math.nan if expected is None else expected, nan_ok=True)


def test_success_is_a_plain_float_without_reason() -> None:
    result = parse_formula("a + b").evaluate({"a": 1, "b": np.float32(0.5)})
    assert result == FormulaResult(1.5, None)
    assert type(result.value) is float
    assert result.ok


def test_extra_metrics_are_ignored_and_not_all_failures_are_reported_at_once() -> None:
    f = parse_formula("a / b + log(c)")
    assert f.evaluate({"a": 1.0, "b": 2.0, "c": 1.0, "unused": None}).value == 0.5
    # The first failure in evaluation order is the reason given.
    assert "division by zero" in (f.evaluate({"a": 1.0, "b": 0.0, "c": 0.0}).reason or "")


def test_unknown_name_lists_what_exists_briefly() -> None:
    values = {f"m{i:02d}": 1.0 for i in range(30)}
    reason = parse_formula("recall").evaluate(values).reason or ""
    assert "m00, m01" in reason and reason.endswith(", ...)")
    assert "available: none" in (parse_formula("recall").evaluate({}).reason or "")


def test_array_form_shapes_and_missing_names() -> None:
    f = parse_formula("2 * a")
    np.testing.assert_array_equal(f.evaluate_array({"a": np.array([[1.0, 2.0]])}), [[2.0, 4.0]])
    missing = f.evaluate_array({"b": np.zeros(3)})
    assert missing.shape == (3,) and np.isnan(missing).all()
    constant = parse_formula("3")
    assert constant.evaluate_array({}).shape == ()
    np.testing.assert_array_equal(constant.evaluate_array({"a": np.zeros(4)}), [3.0] * 4)


def test_array_form_reads_none_in_object_arrays_as_null() -> None:
    out = parse_formula("a + 1").evaluate_array({"a": np.array([1.0, None], dtype=object)})
    assert out[0] == 2.0 and math.isnan(out[1])


def test_array_form_returns_a_new_float_array() -> None:
    a = np.array([1.0, 2.0])
    out = parse_formula("a").evaluate_array({"a": a})
    assert out.dtype == np.float64
    out[0] = 99.0
    assert a[0] == 1.0


def test_module_doctests_pass() -> None:
    result = doctest.testmod(formula_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
