"""Gating per slice: each slice's score against the reference's, must_beat per slice, a vanished slice
fails closed and a new one warns."""

from __future__ import annotations

import copy

import pytest

from evalkit.errors import ConfigError
from evalkit.gate.rules import canonical_rules, parse_rules
from evalkit.gate.slices import (
    FAIL,
    PASS,
    WARN,
    SliceRules,
    check_slices,
    parse_slice_rules,
    reference_slices,
)


def piece(name: str, n: int, model: float, rule: float, *, ci=None, verdict="better") -> dict:
    return {"name": name, "n_items": n, "tested": True,
            "entries": {"model": {"score": model, "ci": {"score": ci or [model - 0.01, model + 0.01]}},
                        "rule": {"score": rule}},
            "comparisons": [{"a": "model", "b": "rule", "metric": "score", "verdict": verdict}]}


def record(*pieces: dict) -> dict:
    return {"best": "model", "strategy": {"higher_is_better": True}, "human_level": None,
            "slices": {"best": "model", "declared": [{"slicing": "site", "slices": list(pieces)}]}}


REFERENCE = record(piece("site = a", 100, 0.90, 0.80), piece("site = b", 100, 0.85, 0.70),
                   piece("site = c", 10, 0.50, 0.90))


def statuses(run: dict, rules: SliceRules) -> dict[tuple[str, str], str]:
    findings = check_slices(run, rules, reference_slices(REFERENCE), "model")
    return {(f.subject, f.rule): f.status for f in findings}


def test_the_same_run_passes_and_a_small_slice_is_not_gated():
    got = statuses(REFERENCE, SliceRules(min_items=50, must_beat=("rule",)))
    assert set(got.values()) == {PASS}
    assert got[("slice site: site = c", "min_items")] == PASS  # 10 items: reported, not gated
    assert ("slice site: site = c", "beats rule") not in got


def test_a_regression_beyond_tolerance_fails_and_within_it_passes():
    run = record(piece("site = a", 100, 0.87, 0.80), piece("site = b", 100, 0.84, 0.70),
                 piece("site = c", 10, 0.50, 0.90))
    got = statuses(run, SliceRules(min_items=50, max_regression=0.02))
    assert got[("slice site: site = a", "max_regression")] == FAIL
    assert got[("slice site: site = b", "max_regression")] == PASS


def test_with_significance_a_regression_the_interval_does_not_confirm_only_warns():
    unsure = record(piece("site = a", 100, 0.87, 0.80, ci=[0.80, 0.95]), piece("site = b", 100, 0.80, 0.70,
                                                                               ci=[0.78, 0.82]))
    got = statuses(unsure, SliceRules(min_items=50, max_regression=0.02, significance=True))
    assert got[("slice site: site = a", "max_regression")] == WARN
    assert got[("slice site: site = b", "max_regression")] == FAIL  # the whole interval is past 0.02


def test_must_beat_per_slice_fails_where_the_baseline_is_better():
    run = copy.deepcopy(REFERENCE)
    run["slices"]["declared"][0]["slices"][1] = piece("site = b", 100, 0.85, 0.88, verdict="worse")
    got = statuses(run, SliceRules(min_items=50, must_beat=("rule",), significance=True))
    assert got[("slice site: site = a", "beats rule")] == PASS
    assert got[("slice site: site = b", "beats rule")] == FAIL  # confirmed by the paired comparison


def test_a_vanished_slice_fails_closed_and_a_new_one_warns():
    run = record(piece("site = a", 100, 0.90, 0.80), piece("site = d", 100, 0.90, 0.80),
                 piece("site = c", 10, 0.50, 0.90))
    got = statuses(run, SliceRules(min_items=50))
    assert got[("slice site: site = b", "present")] == FAIL
    assert got[("slice site: site = d", "present in reference")] == WARN


def test_slice_rules_are_validated_and_stored_with_every_default():
    assert canonical_rules({"slices": {"max_regression": 0.02}}, where="gate")["slices"] == {
        "min_items": 30, "max_regression": 0.02, "must_beat": [], "significance": False}
    assert canonical_rules({}, where="gate")["slices"] is None  # references without slices compare equal
    rules = parse_rules({"slices": {"must_beat": ["rule"]}}, where="gate")
    assert rules.slices == SliceRules(must_beat=("rule",))
    with pytest.raises(ConfigError, match=r"gate.slices: unknown key\(s\) \['min_item'\]; valid keys here"):
        parse_slice_rules({"min_item": 3}, where="gate.slices")
    with pytest.raises(ConfigError, match="gate.slices.max_regression=-0.1 must be a number >= 0"):
        parse_slice_rules({"max_regression": -0.1}, where="gate.slices")


def test_a_run_without_a_best_candidate_fails_the_slice_gate_once():
    run = copy.deepcopy(REFERENCE)
    run["best"] = run["slices"]["best"] = None
    (finding,) = check_slices(run, SliceRules(), reference_slices(REFERENCE), "model")
    assert finding.status == FAIL and "no best candidate" in finding.message


def test_a_slice_score_undefined_then_and_now_passes_and_one_lost_since_fails():
    ref = record(piece("site = a", 100, 0.90, 0.80), piece("site = b", 100, 0.85, 0.70))
    ref["slices"]["declared"][0]["slices"][0]["entries"]["model"]["score"] = None
    run = copy.deepcopy(ref)
    run["slices"]["declared"][0]["slices"][1]["entries"]["model"]["score"] = None
    findings = check_slices(run, SliceRules(), reference_slices(ref), "model")
    got = {(f.subject, f.rule): f.status for f in findings}
    assert got[("slice site: site = a", "score")] == PASS
    assert got[("slice site: site = b", "score")] == FAIL
