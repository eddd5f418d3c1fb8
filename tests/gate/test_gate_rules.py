"""The gate's rules, each in both directions and for lower-is-better metrics.

Records are made in code (tests/gate/records.py): a reference accepted from one record, a run
checked against it. A regression is always measured in the metric's own direction.
"""

from __future__ import annotations

import pytest

from evalkit.gate.checks import FAIL, PASS, WARN
from tests.gate.records import (
    LOG_LOSS_STRATEGY,
    entry,
    gate,
    record,
    the,
    with_metric,
)

ACCEPTED = record()  # model: precision 0.95, recall 0.92, roc_auc 0.97, latency_ms 10, log_loss 0.20


# --- max_regression ------------------------------------------------------------------------------

@pytest.mark.parametrize(("precision", "expected"), [
    (0.95, PASS),   # unchanged
    (0.99, PASS),   # improved: a rise of a higher-is-better metric is never a regression
    (0.94, PASS),   # dropped 0.01, tolerance 0.02
    (0.93, PASS),   # dropped the tolerance
    (0.92, FAIL),   # dropped 0.03
])
def test_max_regression_on_a_higher_is_better_metric_limits_the_drop(precision, expected):
    result = gate(with_metric(ACCEPTED, "model", "precision", precision), ACCEPTED,
                  {"candidates": ["model"], "metrics": {"precision": {"max_regression": 0.02}}})
    assert the(result, "model: precision max_regression").status == expected


@pytest.mark.parametrize(("latency", "expected"), [
    (10.0, PASS),
    (2.0, PASS),    # faster: a drop of a lower-is-better metric is never a regression
    (14.0, PASS),   # 4 ms slower, tolerance 5
    (16.0, FAIL),   # 6 ms slower
])
def test_max_regression_on_a_lower_is_better_metric_limits_the_rise(latency, expected):
    result = gate(with_metric(ACCEPTED, "model", "latency_ms", latency), ACCEPTED,
                  {"candidates": ["model"], "metrics": {"latency_ms": {"max_regression": 5}}})
    check = the(result, "model: latency_ms max_regression")
    assert check.status == expected
    if expected == FAIL:
        assert "rise of 6" in check.message


def test_a_drop_of_exactly_the_tolerance_passes_despite_float_rounding():
    accepted = with_metric(ACCEPTED, "model", "precision", 1.0)
    run = with_metric(ACCEPTED, "model", "precision", 0.98)   # 1.0 - 0.98 == 0.020000000000000018
    rules = {"candidates": ["model"], "metrics": {"precision": {"max_regression": 0.02}}}
    result = gate(run, accepted, rules)
    assert the(result, "model: precision max_regression").status == PASS


def test_a_regression_message_says_which_way_and_by_how_much():
    result = gate(with_metric(ACCEPTED, "model", "precision", 0.90), ACCEPTED,
                  {"candidates": ["model"], "metrics": {"precision": {"max_regression": 0.02}}})
    message = the(result, "model: precision max_regression").message
    assert "0.9500 → 0.9000" in message and "drop of 0.0500" in message and "0.02" in message


# --- max_relative_regression ------------------------------------------------------------------------

@pytest.mark.parametrize(("metric", "value", "expected"), [
    ("roc_auc", 0.97 * 0.96, PASS),     # 4% lower, 5% allowed
    ("roc_auc", 0.97 * 0.94, FAIL),     # 6% lower
    ("roc_auc", 0.99, PASS),            # better
    ("latency_ms", 10.4, PASS),         # 4% slower, 5% allowed
    ("latency_ms", 10.6, FAIL),         # 6% slower
    ("latency_ms", 5.0, PASS),          # faster
])
def test_max_relative_regression_is_a_fraction_of_the_reference_in_its_direction(metric, value, expected):
    result = gate(with_metric(ACCEPTED, "model", metric, value), ACCEPTED,
                  {"candidates": ["model"], "metrics": {metric: {"max_relative_regression": 0.05}}})
    assert the(result, f"model: {metric} max_relative_regression").status == expected


def test_max_relative_regression_from_a_reference_of_zero_allows_no_regression():
    accepted = with_metric(ACCEPTED, "model", "log_loss", 0.0)
    rules = {"candidates": ["model"], "metrics": {"log_loss": {"max_relative_regression": 0.5}}}
    assert the(gate(with_metric(accepted, "model", "log_loss", 0.001), accepted, rules),
               "model: log_loss max_relative_regression").status == FAIL
    assert the(gate(accepted, accepted, rules), "model: log_loss max_relative_regression").status == PASS


# --- min / max bounds --------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "check", "value", "expected"), [
    ({"min": 0.9}, "recall min", 0.9, PASS),
    ({"min": 0.9}, "recall min", 0.89, FAIL),
    ({"max": 50}, "latency_ms max", 50.0, PASS),
    ({"max": 50}, "latency_ms max", 51.0, FAIL),
    ({"max": 0.3}, "log_loss max", 0.31, FAIL),
    ({"min": 0.5, "max": 0.99}, "recall max", 0.995, FAIL),
])
def test_min_and_max_bound_the_value_itself(rule, check, value, expected):
    metric = check.split()[0]
    result = gate(with_metric(ACCEPTED, "model", metric, value), ACCEPTED,
                  {"candidates": ["model"], "metrics": {metric: rule}})
    assert the(result, f"model: {check}").status == expected


def test_bounds_need_no_reference_value():
    accepted = with_metric(ACCEPTED, "model", "recall", None)
    result = gate(ACCEPTED, accepted, {"candidates": ["model"], "metrics": {"recall": {"min": 0.9}}})
    assert the(result, "model: recall min").status == PASS


# --- the strategy's single number --------------------------------------------------------------------

@pytest.mark.parametrize(("score", "expected"), [(0.95, PASS), (0.945, PASS), (0.93, FAIL), (0.99, PASS)])
def test_the_score_may_not_regress_beyond_its_tolerance(score, expected):
    result = gate(with_metric(ACCEPTED, "model", "precision", score), ACCEPTED,
                  {"score": {"max_regression": 0.01}})
    assert the(result, "best: score max_regression").status == expected


@pytest.mark.parametrize(("log_loss", "expected"), [(0.20, PASS), (0.205, PASS), (0.25, FAIL), (0.10, PASS)])
def test_a_lower_is_better_score_regresses_when_it_rises(log_loss, expected):
    accepted = record(entry("model", score=0.20), strategy=LOG_LOSS_STRATEGY)
    run = with_metric(accepted, "model", "log_loss", log_loss)
    result = gate(run, accepted, {"score": {"max_regression": 0.01}})
    assert the(result, "best: score max_regression").status == expected


def test_without_a_tolerance_the_score_may_not_regress_at_all():
    rules = {"metrics": {"recall": {"min": 0.5}}}  # no score rule given
    assert the(gate(with_metric(ACCEPTED, "model", "precision", 0.9499), ACCEPTED, rules),
               "best: score max_regression").status == FAIL
    assert the(gate(with_metric(ACCEPTED, "model", "precision", 0.96), ACCEPTED, rules),
               "best: score max_regression").status == PASS


# --- which candidates are gated ----------------------------------------------------------------------

def test_best_is_gated_by_default_against_the_references_best_even_when_the_best_changes():
    accepted = record(entry("model"),
                      entry("other", metrics={**entry("model")["metrics"], "precision": 0.90}))
    run = record(entry("model", feasible=False, violations=["recall = 0.5 violates recall >= 0.9"]),
                 entry("other", metrics={**entry("model")["metrics"], "precision": 0.94}), best="other")
    result = gate(run, accepted, {"score": {"max_regression": 0.02}})
    assert the(result, "best: identity").status == WARN
    assert "from model to other" in the(result, "best: identity").message
    # other's 0.94 is compared with model's accepted 0.95: a drop of 0.01, within 0.02
    assert the(result, "best: score max_regression").reference == pytest.approx(0.95)
    assert the(result, "best: score max_regression").status == PASS


def test_named_candidates_are_each_gated_by_name():
    accepted = record(entry("model"), entry("other"))
    run = with_metric(accepted, "other", "precision", 0.80)
    result = gate(run, accepted, {"candidates": ["model", "other"], "score": {"max_regression": 0.02}})
    assert the(result, "model: score max_regression").status == PASS
    assert the(result, "other: score max_regression").status == FAIL


# --- baselines and human level -----------------------------------------------------------------------

def _baselines(model_score: float, *, strategy: dict | None = None, **kwargs) -> dict:
    return record(entry("model", score=model_score), entry("rule", "baseline", score=0.90),
                  entry("ml", "baseline", score=0.80), strategy=strategy, **kwargs)


@pytest.mark.parametrize(("model_score", "rules", "expected"), [
    (0.95, {"must_beat": ["rule"]}, PASS),
    (0.90, {"must_beat": ["rule"]}, FAIL),                          # a tie does not beat
    (0.85, {"must_beat": ["rule"]}, FAIL),
    (0.93, {"must_beat": ["rule"], "margin": 0.02}, PASS),           # better by 0.03 > 0.02
    (0.91, {"must_beat": ["rule"], "margin": 0.02}, FAIL),           # better by 0.01 only
    (0.93, {"must_beat": {"rule": 0.05}}, FAIL),                     # per-baseline margin
    (0.93, {"must_beat": {"rule": 0.01}}, PASS),
])
def test_must_beat_a_named_baseline_with_an_optional_margin(model_score, rules, expected):
    run = _baselines(model_score)
    assert the(gate(run, run, rules), "best: must_beat rule").status == expected


@pytest.mark.parametrize(("model_score", "expected"), [(0.85, PASS), (0.95, FAIL)])
def test_must_beat_with_a_lower_is_better_score_needs_a_lower_score(model_score, expected):
    run = _baselines(model_score, strategy=LOG_LOSS_STRATEGY)
    assert the(gate(run, run, {"must_beat": ["rule"]}), "best: must_beat rule").status == expected


def test_must_beat_all_checks_every_baseline_and_names_the_one_not_beaten():
    run = _baselines(0.85)  # beats ml (0.80), not rule (0.90)
    result = gate(run, run, {"must_beat": "all"})
    assert the(result, "best: must_beat ml").status == PASS
    assert the(result, "best: must_beat rule").status == FAIL
    assert "worse by 0.0500" in the(result, "best: must_beat rule").message


def test_must_beat_all_compares_with_scored_baselines_and_notes_the_others():
    run = record(entry("model"), entry("rule", "baseline", score=0.90),
                 entry("majority", "baseline", metrics={"precision": None, "recall": 0.0}))
    result = gate(run, run, {"must_beat": "all"})
    assert result.passed
    assert [c.name for c in result.checks if "must_beat" in c.rule] == ["best: must_beat rule"]
    assert any("majority" in note for note in result.notes)


def test_must_beat_all_leaves_out_an_optimistic_ceiling_as_the_leaderboard_does():
    ceiling = entry("panel/best_annotator", "baseline", score=0.99) | {"ceiling": "optimistic ceiling: ..."}
    run = record(entry("model"), entry("rule", "baseline", score=0.90), ceiling)
    result = gate(run, run, {"must_beat": "all"})
    assert result.passed
    assert [c.name for c in result.checks if "must_beat" in c.rule] == ["best: must_beat rule"]
    # named explicitly, the ceiling is checked like any entry
    assert the(gate(run, run, {"must_beat": ["panel/best_annotator"]}),
               "best: must_beat panel/best_annotator").status == FAIL


def test_must_beat_all_fails_when_no_baseline_has_a_score():
    run = record(entry("model"), entry("majority", "baseline", metrics={"precision": None}))
    assert the(gate(run, run, {"must_beat": "all"}), "best: must_beat all").status == FAIL


def test_a_named_baseline_without_a_score_fails():
    run = record(entry("model"), entry("majority", "baseline", metrics={"precision": None}))
    check = the(gate(run, run, {"must_beat": ["majority"]}), "best: must_beat majority")
    assert check.status == FAIL and "is null" in check.message


HUMAN = {"name": "panel/majority_vote", "score": 0.96}


@pytest.mark.parametrize(("model_score", "rules", "expected"), [
    (0.955, {"within": {"human": 0.01}}, PASS),   # 0.005 below human level
    (0.945, {"within": {"human": 0.01}}, FAIL),   # 0.015 below
    (0.97, {"within": {"human": 0.01}}, PASS),    # above
    (0.97, {"must_beat": ["human"]}, PASS),
    (0.955, {"must_beat": ["human"]}, FAIL),
])
def test_human_level_can_be_beaten_or_approached_within_a_tolerance(model_score, rules, expected):
    run = _baselines(model_score, human_level=HUMAN)
    (check,) = [c for c in gate(run, run, rules).checks if c.rule.endswith(" human")]
    assert check.status == expected


def test_within_with_a_lower_is_better_score_allows_a_small_rise():
    run = _baselines(0.965, strategy=LOG_LOSS_STRATEGY, human_level=HUMAN)  # 0.005 worse (higher)
    assert the(gate(run, run, {"within": {"human": 0.01}}), "best: within human").status == PASS
    run = _baselines(0.98, strategy=LOG_LOSS_STRATEGY, human_level=HUMAN)   # 0.02 worse
    assert the(gate(run, run, {"within": {"human": 0.01}}), "best: within human").status == FAIL


def test_beat_the_rule_by_a_margin_and_stay_within_human_level_together():
    run = _baselines(0.955, human_level=HUMAN)
    result = gate(run, run, {"must_beat": {"rule": 0.02}, "within": {"human": 0.01}})
    assert the(result, "best: must_beat rule").status == PASS
    assert the(result, "best: within human").status == PASS
