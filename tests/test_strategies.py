"""Strategies turn metrics into one number, refuse what cannot be averaged, and list every violation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.config import StrategyConfig
from evalkit.errors import ConfigError
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy
from evalkit.strategies.satisficing import parse_constraint

REGISTRY = metric_registry("binary", {"energy_j": "lower"})


def strategy(**kwargs):
    return build_strategy(StrategyConfig(**kwargs), REGISTRY, "binary")


def test_average_is_the_weighted_mean():
    s = strategy(name="average", metrics=["precision", "recall"], weights=[3, 1])
    assert s.evaluate({"precision": 0.9, "recall": 0.5}).score == pytest.approx(0.8)


def test_average_defaults_to_equal_weights_and_to_accuracy_without_metrics():
    assert strategy(name="average", metrics=["precision", "recall"]).evaluate(
        {"precision": 0.9, "recall": 0.5}).score == pytest.approx(0.7)
    assert strategy(name="average").metrics_used == ("accuracy",)


def test_average_flips_a_bounded_lower_is_better_metric():
    s = strategy(name="average", metrics=["accuracy", "brier"])
    assert s.evaluate({"accuracy": 0.8, "brier": 0.2}).score == pytest.approx(0.8)


@pytest.mark.parametrize("metric", ["log_loss", "latency_ms", "energy_j"])
def test_average_refuses_an_unbounded_lower_is_better_metric_and_points_to_satisficing(metric):
    with pytest.raises(ConfigError, match="satisficing"):
        strategy(name="average", metrics=["accuracy", metric])


@pytest.mark.parametrize("weights", [[1], [-1, 2], [0, 0]])
def test_average_rejects_bad_weights(weights):
    with pytest.raises(ConfigError, match="weight"):
        strategy(name="average", metrics=["precision", "recall"], weights=weights)


def test_average_gives_no_score_when_a_metric_is_missing_or_null():
    s = strategy(name="average", metrics=["precision", "recall"])
    assert s.evaluate({"precision": 0.9}).reason == "metric 'recall' is not reported"
    outcome = s.evaluate({"precision": None, "recall": 0.5})
    assert outcome.score is None and outcome.reason == "metric 'precision' is null"


def test_satisficing_lists_every_violation():
    s = strategy(name="satisficing", optimize="precision",
                 constraints={"recall": ">= 0.95", "latency_ms": "<= 50"})
    outcome = s.evaluate({"precision": 0.99, "recall": 0.9, "latency_ms": 80.0})
    assert outcome.score == 0.99 and not outcome.feasible
    assert len(outcome.violations) == 2
    assert "recall = 0.9 violates recall >= 0.95" in outcome.violations


@pytest.mark.parametrize(("op", "value", "holds"), [
    (">=", 0.9, True), (">", 0.9, False), ("<=", 0.9, True), ("<", 0.9, False), (">=", 0.89, False),
])
def test_constraint_operators_treat_the_boundary_exactly(op, value, holds):
    assert parse_constraint("recall", f"{op} 0.9").holds(value) is holds


@pytest.mark.parametrize("text", ["0.9", "=> 0.9", ">= high", ">=", "== 0.9", ">= 0.9 and"])
def test_unparseable_constraints_are_config_errors_that_show_the_form(text):
    with pytest.raises(ConfigError, match="'>= 0.95'"):
        strategy(name="satisficing", optimize="precision", constraints={"recall": text})


def test_a_missing_constraint_metric_makes_a_candidate_infeasible_but_is_unchecked_for_baselines():
    s = strategy(name="satisficing", optimize="precision", constraints={"latency_ms": "<= 50"})
    candidate = s.evaluate({"precision": 0.9}, require_all=True)
    assert not candidate.feasible and "latency_ms is missing" in candidate.violations[0]
    baseline = s.evaluate({"precision": 0.9}, require_all=False)
    assert baseline.feasible and baseline.unchecked == ("latency_ms <= 50",)


def test_satisficing_direction_follows_the_optimized_metric():
    assert strategy(name="satisficing", optimize="latency_ms",
                    constraints={"accuracy": ">= 0.9"}).higher_is_better is False
    assert strategy(name="satisficing", optimize="recall").higher_is_better is True


@pytest.mark.parametrize(("config", "message"), [
    ({"name": "best_of"}, "unknown strategy 'best_of'; valid strategies: average, satisficing"),
    ({"name": "average", "metrics": ["acc"]}, "unknown metric 'acc'"),
    ({"name": "satisficing"}, "set strategy.optimize"),
    ({"name": "satisficing", "optimize": "precision", "constraints": {"recal": ">= 0.9"}}, "unknown metric"),
])
def test_unknown_names_fail_with_the_valid_ones(config, message):
    with pytest.raises(ConfigError, match=message):
        strategy(**config)


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0.01, 10), st.floats(0.01, 10))
def test_average_lies_between_its_inputs(a, b, wa, wb):
    score = strategy(name="average", metrics=["precision", "recall"], weights=[wa, wb]).evaluate(
        {"precision": a, "recall": b}).score
    assert min(a, b) - 1e-12 <= score <= max(a, b) + 1e-12


def test_fields_of_another_strategy_are_refused():
    with pytest.raises(ConfigError, match="strategy.constraints does not apply to strategy 'average'"):
        strategy(name="average", metrics=["accuracy"], constraints={"recall": ">= 0.9"})
    with pytest.raises(ConfigError, match="strategy.metrics does not apply to strategy 'satisficing'"):
        strategy(name="satisficing", optimize="precision", metrics=["accuracy"])
