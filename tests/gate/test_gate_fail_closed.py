"""Fail-closed: what cannot be checked fails (exit 1), and what cannot be read is an error (exit 2).

Never a pass for want of evidence: missing/null/NaN values, other data, a changed strategy or
direction, an infeasible gated candidate; and no gate at all on an empty or corrupt reference.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from evalkit.errors import ConfigError, DataError, EvalkitError
from evalkit.gate.checks import FAIL, PASS, WARN
from evalkit.gate.reference import build_reference, read_reference
from evalkit.gate.rules import canonical_rules, parse_rules, validate_against_run
from tests.gate.records import entry, gate, record, the, with_metric

ACCEPTED = record()
RULES = {"candidates": ["model"], "metrics": {"recall": {"max_regression": 0.02, "min": 0.5}}}


@pytest.mark.parametrize(("value", "why"), [(None, "is null"), (math.nan, "is NaN"), ("0.9", "not a number")])
def test_a_gated_metric_that_is_null_nan_or_not_a_number_fails_every_rule_on_it(value, why):
    result = gate(with_metric(ACCEPTED, "model", "recall", value), ACCEPTED, RULES)
    for name in ("model: recall max_regression", "model: recall min"):
        assert the(result, name).status == FAIL and why in the(result, name).message


def test_a_gated_metric_missing_from_the_run_fails():
    run = copy.deepcopy(ACCEPTED)
    del run["entries"][0]["metrics"]["recall"]
    result = gate(run, ACCEPTED, RULES)
    assert "is not reported in the run" in the(result, "model: recall max_regression").message
    assert not result.passed


def test_a_gated_metric_missing_from_the_reference_fails_the_regression_check():
    accepted = with_metric(ACCEPTED, "model", "recall", None)
    check = the(gate(ACCEPTED, accepted, RULES), "model: recall max_regression")
    assert check.status == FAIL and "in the reference" in check.message


def test_a_null_score_fails():
    run = copy.deepcopy(ACCEPTED)
    run["entries"][0]["score"] = None
    assert the(gate(run, ACCEPTED, RULES), "model: score max_regression").status == FAIL


def test_an_unknown_metric_direction_fails():
    run, accepted = copy.deepcopy(ACCEPTED), copy.deepcopy(ACCEPTED)
    del run["metric_directions"]["recall"]
    del accepted["metric_directions"]["recall"]
    check = the(gate(run, accepted, RULES), "model: recall max_regression")
    assert check.status == FAIL and "direction" in check.message


def test_a_metric_whose_direction_changed_since_the_reference_fails():
    run = copy.deepcopy(ACCEPTED)
    run["metric_directions"]["recall"] = "lower"
    assert the(gate(run, ACCEPTED, RULES), "model: recall direction").status == FAIL


def test_a_run_on_other_data_fails_unless_the_change_is_allowed():
    run = record(fingerprint="0" * 64)
    assert the(gate(run, ACCEPTED, RULES), "run: data").status == FAIL
    allowed = gate(run, ACCEPTED, RULES, allow_data_change=True)
    assert the(allowed, "run: data").status == WARN and allowed.passed


@pytest.mark.parametrize("fingerprint", [None, ""])
def test_a_run_without_a_data_fingerprint_fails(fingerprint):
    assert the(gate(record(fingerprint=fingerprint), ACCEPTED, RULES), "run: data").status == FAIL


@pytest.mark.parametrize("change", [
    {"constraints": {"recall": ">= 0.8"}},
    {"optimize": "recall"},
    {"name": "average"},
    {"higher_is_better": False},
])
def test_a_changed_strategy_definition_fails(change):
    run = copy.deepcopy(ACCEPTED)
    run["strategy"].update(change)
    check = the(gate(run, ACCEPTED, RULES), "run: strategy")
    assert check.status == FAIL and next(iter(change)) in check.message


def test_a_gated_candidate_that_became_infeasible_fails_with_the_violations():
    run = record(entry("model", feasible=False, violations=["recall = 0.85 violates recall >= 0.9"]),
                 best=None)
    check = the(gate(run, ACCEPTED, RULES), "model: feasible")
    assert check.status == FAIL and "recall = 0.85 violates" in check.message


def test_a_candidate_already_infeasible_in_the_reference_only_warns():
    infeasible = record(entry("model", feasible=False, violations=["recall = 0.85 violates recall >= 0.9"]))
    assert the(gate(infeasible, infeasible, RULES), "model: feasible").status == WARN


def test_a_run_without_a_best_candidate_fails_when_the_best_is_gated():
    run = record(entry("model", feasible=False, violations=["latency"]), best=None)
    check = the(gate(run, ACCEPTED, {}), "best: exists")
    assert check.status == FAIL


def test_the_missing_best_is_explained_by_the_verdicts_first_line_only():
    run = record(entry("model", feasible=False, violations=["latency"]), best=None)
    run["verdict"] = ("No best candidate: no candidate satisfies every constraint.\n"
                      "Human level (a reference, not a bound): panel/vote 0.9000.")
    check = the(gate(run, ACCEPTED, {}), "best: exists")
    assert check.message.endswith("no candidate satisfies every constraint.") and "\n" not in check.message


def test_a_gated_candidate_missing_from_the_run_fails():
    run = record(entry("other"), best="other")
    assert the(gate(run, ACCEPTED, RULES), "model: exists").status == FAIL


def test_human_level_requested_but_absent_fails_with_the_fix():
    check = the(gate(ACCEPTED, ACCEPTED, {"within": {"human": 0.01}}), "best: within human")
    assert check.status == FAIL and "human_level" in check.message and "kind: human" in check.message


def test_a_clean_run_against_its_own_reference_passes():
    result = gate(ACCEPTED, ACCEPTED, RULES)
    assert result.passed and {c.status for c in result.checks} == {PASS}


# --- the reference file ------------------------------------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reference.json"
    path.write_text(text)
    return path


def _valid_reference() -> dict:
    return build_reference(ACCEPTED, canonical_rules(RULES, where="gate"))


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "is empty"),
    ("   \n", "is empty"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ("{}", "not an evalkit gate reference"),
])
def test_an_empty_or_corrupt_reference_is_an_error(tmp_path, text, fragment):
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=fragment) as info:
        read_reference(path)
    assert str(path) in str(info.value) and "--update" in str(info.value)


@pytest.mark.parametrize(("damage", "error"), [
    (lambda d: d.pop("gate"), DataError),
    (lambda d: d.update(candidates={}), DataError),
    (lambda d: d.update(evalkit_reference=99), DataError),
    (lambda d: d.update(best="nobody"), DataError),
    (lambda d: d["candidates"]["model"].pop("metrics"), DataError),
    (lambda d: d["gate"]["metrics"]["recall"].update(max_regression=-0.1), ConfigError),
    (lambda d: d["gate"].update(margins=0.1), ConfigError),
])
def test_a_reference_with_a_missing_part_or_a_bad_rule_is_an_error(tmp_path, damage, error):
    doc = _valid_reference()
    damage(doc)
    with pytest.raises(error):
        read_reference(_write(tmp_path, json.dumps(doc)))


def test_a_missing_reference_is_an_error_that_says_how_to_create_one(tmp_path):
    with pytest.raises(DataError, match="--update"):
        read_reference(tmp_path / "absent.json")


# --- rules that cannot be right ------------------------------------------------------------------------

@pytest.mark.parametrize(("rules", "fragment"), [
    ({"metrics": {"recall": {"max_regression": -0.01}}}, "must be >= 0"),
    ({"metrics": {"recall": {"min": 0.9, "max": 0.8}}}, "above max"),
    ({"metrics": {"recall": {}}}, "no rule"),
    ({"metrics": {"recall": {"max_regresion": 0.01}}}, "max_regression"),   # lists the valid keys
    ({"metrics": {"score": {"min": 0.5}}}, "own rule"),
    ({"candidates": "first"}, "'best' or a non-empty list"),
    ({"candidates": []}, "'best' or a non-empty list"),
    ({"must_beat": 3}, "'all', a list"),
    ({"must_beat": ["all", "rule"]}, "must_beat: all"),
    ({"margin": -0.1}, ">= 0"),
    ({"within": {"human": -0.01}}, ">= 0"),
])
def test_invalid_rules_are_config_errors_naming_the_key(rules, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_rules(rules, where="gate")


@pytest.mark.parametrize(("rules", "fragment"), [
    ({"candidates": ["nobody"]}, "not a candidate"),
    ({"candidates": ["rule"]}, "not a candidate"),
    ({"metrics": {"f1": {"min": 0.5}}}, "no entry of this run reports 'f1'"),
    ({"must_beat": ["nobody"]}, "not an entry"),
    ({"within": {"human": 0.01}}, "human_level"),
])
def test_update_refuses_rules_that_name_what_the_run_lacks(rules, fragment):
    with pytest.raises(EvalkitError, match=fragment):
        validate_against_run(parse_rules(rules, where="gate"), ACCEPTED, where="gate")
