"""The resample count: ``auto`` draws enough for Holm across the run's comparisons to reach the level,
and a fixed count that cannot is named before the bootstrap runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.confidence import assess, check_settings, planned_comparisons, resolve_resamples
from evalkit.config import BootstrapConfig, validate
from evalkit.errors import ConfigError
from evalkit.paths import PathResolver
from evalkit.runner import run_experiment
from evalkit.uncertainty.resolution import (
    AUTO_MAX,
    AUTO_MIN,
    auto_resamples,
    resamples_needed,
    smallest_p,
    unresolvable,
)

LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@settings(max_examples=100, deadline=None)
@given(comparisons=st.integers(1, 400), level=LEVELS)
def test_resamples_needed_is_the_fewest_that_let_holm_reach_the_level(comparisons, level):
    alpha = 1 - level
    needed = resamples_needed(comparisons, level)
    assert comparisons * smallest_p(needed) < alpha
    assert not comparisons * smallest_p(needed - 1) < alpha
    assert unresolvable(comparisons, level, needed) is None
    assert unresolvable(comparisons, level, needed - 1) is not None


@settings(max_examples=100, deadline=None)
@given(comparisons=st.integers(0, 2000), level=LEVELS)
def test_auto_puts_the_smallest_holm_p_at_half_the_level_unless_capped(comparisons, level):
    count = auto_resamples(comparisons, level)
    assert AUTO_MIN <= count <= AUTO_MAX
    if count < AUTO_MAX:
        assert comparisons * smallest_p(count) <= (1 - level) / 2 + 1e-12
        assert unresolvable(comparisons, level, count) is None


def test_the_demo_sizes_resolve_to_counts_that_can_answer():
    # 19 comparisons under the demo's satisficing, 28 under strategy=average (the case).
    assert auto_resamples(19, 0.95) == 1520
    assert auto_resamples(28, 0.95) == 2240
    assert auto_resamples(3, 0.95) == AUTO_MIN  # a small run keeps the old default's precision


def test_a_fixed_count_that_cannot_answer_says_so_with_the_way_out():
    count, rule, problem = resolve_resamples(BootstrapConfig(resamples=1000), 28)
    assert (count, rule) == (1000, None)
    assert problem is not None
    assert "28 paired comparisons" in problem and "bootstrap.resamples=auto (2240 here)" in problem
    assert "at least 1119" in problem
    assert resolve_resamples(BootstrapConfig(resamples=2000), 28)[2] is None


def test_auto_records_the_rule_it_applied():
    count, rule, problem = resolve_resamples(BootstrapConfig(), 19)
    assert count == 1520 and problem is None
    assert rule is not None and "19 comparisons" in rule and str(AUTO_MAX) in rule


def test_the_cap_is_stated_when_auto_cannot_reach_the_level():
    count, _, problem = resolve_resamples(BootstrapConfig(), 1000)
    assert count == AUTO_MAX and problem is not None and "1000 paired comparisons" in problem


@pytest.mark.parametrize("value", ["many", True, 2.5, -1])
def test_a_resample_count_must_be_auto_or_a_count(value):
    with pytest.raises(ConfigError, match="bootstrap.resamples"):
        check_settings(BootstrapConfig(resamples=value))


def test_auto_is_the_default():
    assert validate({"task": "binary", "data": {"name": "breast_cancer"}}).bootstrap.resamples == "auto"
    check_settings(BootstrapConfig())


@pytest.mark.parametrize("strategy", [
    {"name": "average", "metrics": ["accuracy", "f1_macro"]},
    {"name": "satisficing", "optimize": "f1_macro",
     "constraints": {"accuracy": ">= 0.5", "latency_ms": "<= 100000"}},
])
def test_the_planned_count_is_the_count_of_tests_made(strategy, tmp_path):
    config = validate({
        "task": "multiclass", "data": {"name": "iris", "test_size": 0.4, "seed": 0},
        "candidates": {
            "logreg": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "max_iter": 500}},
            "tree": {"estimator": {"_target_": "sklearn.tree.DecisionTreeClassifier", "max_depth": 1,
                                   "random_state": 0}}},
        "baselines": {"prior": {"kind": "simple_ml",
                                "estimator": {"_target_": "sklearn.dummy.DummyClassifier",
                                              "strategy": "prior"}},
                      "stated": {"kind": "external", "metrics": {"accuracy": 0.5}, "source": "test"}},
        "strategy": strategy, "bootstrap": {"resamples": 0},
    })
    result = run_experiment(config, PathResolver(config_dir=tmp_path), progress=False)
    best = result.comparison.best
    planned = planned_comparisons(result.entries, result.registry, result.strategy, best)
    heard: list[str] = []
    assessment = assess(result.entries, result.evalset, result.registry, result.strategy, best,
                        BootstrapConfig(resamples=20), progress=False, warn=heard.append)
    assert assessment is not None and planned == len(assessment.comparisons) > 0
    assert len(heard) == 1 and f"{planned} paired comparisons" in heard[0]  # 20 resamples cannot answer
