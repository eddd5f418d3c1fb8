"""``significance: true``: a regression beyond tolerance fails only when the run's interval confirms it.

The reference value is fixed; the run's ``ci`` interval [lo, hi] gives the interval of the change
[lo - ref, hi - ref]. Past the tolerance as a whole: fail. Reaching back within it: warning.
No interval: the point check, said so.
"""

from __future__ import annotations

import pytest

from evalkit.gate.checks import FAIL, PASS, WARN
from tests.gate.records import LOG_LOSS_STRATEGY, entry, gate, record, the

ACCEPTED = record()  # precision (the score) 0.95
RULES = {"significance": True, "score": {"max_regression": 0.02},
         "metrics": {"latency_ms": {"max_regression": 1}}}


def _run(precision: float, ci: dict[str, list[float]] | None) -> dict:
    metrics = {**entry("model")["metrics"], "precision": precision}
    return record(entry("model", metrics=metrics, ci=ci), entry("rule", "baseline", score=0.9))


@pytest.mark.parametrize(("precision", "interval", "expected"), [
    (0.90, [0.86, 0.92], FAIL),   # change [-0.09, -0.03]: all of it past -0.02
    (0.90, [0.85, 0.94], WARN),   # change [-0.10, -0.01]: reaches back within -0.02, not significant
    (0.94, [0.90, 0.98], PASS),   # the point is within tolerance: no question to test
    (0.99, [0.97, 1.00], PASS),
])
def test_a_regression_fails_only_when_the_whole_interval_is_past_the_tolerance(precision, interval, expected):
    result = gate(_run(precision, {"score": interval}), ACCEPTED, RULES)
    assert the(result, "best: score max_regression").status == expected


def test_a_warning_does_not_fail_the_gate_and_says_why():
    result = gate(_run(0.90, {"score": [0.85, 0.94]}), ACCEPTED, RULES)
    check = the(result, "best: score max_regression")
    assert result.passed and check in result.warnings
    assert "not significant" in check.message and "[-0.1000, -0.0100]" in check.message


def test_without_significance_the_same_regression_fails_on_the_point_estimate():
    result = gate(_run(0.90, {"score": [0.85, 0.94]}), ACCEPTED, {**RULES, "significance": False})
    assert the(result, "best: score max_regression").status == FAIL


def test_a_metric_without_an_interval_falls_back_to_the_point_check_and_says_so():
    run = _run(0.95, {"score": [0.9, 0.99]})
    run["entries"][0]["metrics"]["latency_ms"] = 12.0   # 2 ms slower, 1 allowed; latency has no interval
    check = the(gate(run, ACCEPTED, RULES), "best: latency_ms max_regression")
    assert check.status == FAIL and "point check" in check.message


@pytest.mark.parametrize("interval", [None, [0.9], [0.95, 0.85], [None, 0.9], ["a", "b"]])
def test_a_missing_or_malformed_interval_is_not_trusted(interval):
    ci = None if interval is None else {"score": interval}
    check = the(gate(_run(0.90, ci), ACCEPTED, RULES), "best: score max_regression")
    assert check.status == FAIL and "point check" in check.message


@pytest.mark.parametrize(("log_loss", "interval", "expected"), [
    (0.30, [0.25, 0.35], FAIL),   # change [+0.05, +0.15]: all of it a rise beyond 0.02
    (0.30, [0.21, 0.40], WARN),   # change [+0.01, +0.20]: reaches back within 0.02
])
def test_for_a_lower_is_better_score_the_interval_is_read_the_other_way(log_loss, interval, expected):
    metrics = {**entry("model")["metrics"], "log_loss": 0.20}
    accepted = record(entry("model", metrics=metrics, score=0.20), strategy=LOG_LOSS_STRATEGY)
    run = record(entry("model", metrics={**metrics, "log_loss": log_loss}, score=log_loss,
                       ci={"score": interval}), strategy=LOG_LOSS_STRATEGY)
    result = gate(run, accepted, {"significance": True, "score": {"max_regression": 0.02}})
    assert the(result, "best: score max_regression").status == expected


def test_relative_tolerances_use_the_interval_too():
    metrics = {**entry("model")["metrics"], "roc_auc": 0.80}
    rules = {"significance": True, "metrics": {"roc_auc": {"max_relative_regression": 0.05}}}
    run = record(entry("model", metrics=metrics, ci={"roc_auc": [0.70, 0.99]}))
    result = gate(run, ACCEPTED, rules)
    assert the(result, "best: roc_auc max_relative_regression").status == WARN
    run["entries"][0]["ci"] = {"roc_auc": [0.75, 0.85]}   # 0.97 * 0.95 = 0.9215: all of it below
    result = gate(run, ACCEPTED, rules)
    assert the(result, "best: roc_auc max_relative_regression").status == FAIL
