"""Does the verdict survive the suspect labels? Rescoring without the flagged items and with the suggestions;
duplicates and leakage; which entries may give evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.config import BootstrapConfig, StrategyConfig, validate
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.label_review import sensitivity
from evalkit.label_review.duplicates import duplicate_groups, in_train
from evalkit.label_review.evidence import check, gather
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.strategies import build_strategy

N = 20
FLAGGED = np.array([0, 1, 2, 3])
REGISTRY = metric_registry("binary")
ACCURACY = build_strategy(StrategyConfig(name="average", metrics=["accuracy"]), REGISTRY, "binary")
NO_BOOTSTRAP = BootstrapConfig(resamples=0)


def evalset(y: np.ndarray | None = None) -> EvalSet:
    gold = np.array([0, 1] * (N // 2)) if y is None else y
    return EvalSet(task="binary", ids=np.array([f"i{k}" for k in range(N)], dtype=object), y=gold,
                   classes=("0", "1"), source="truth.csv")


def entry(name: str, role: str, kind: str, labels: np.ndarray, data: EvalSet, **extra) -> Entry:
    predictions = Predictions(labels=labels, scores=extra.pop("scores", None), **extra)
    metrics = compute_metrics(REGISTRY, data, predictions).values
    made = Entry(name=name, role=role, kind=kind, metrics=metrics, predictions=predictions)
    made.outcome = ACCURACY.evaluate(metrics, require_all=role == "candidate")
    return made


def constructed_run():
    """a matches gold everywhere but item 10; b matches the suggestions on the four flagged items (and
    gold elsewhere); a rule is wrong on five unflagged items. On gold, a wins 0.95 to 0.80."""
    data = evalset()
    suggestion = 1 - data.y[FLAGGED]
    a = data.y.copy()
    a[10] = 1 - a[10]
    b = data.y.copy()
    b[FLAGGED] = suggestion
    rule = data.y.copy()
    rule[[5, 6, 7, 8, 9]] = 1 - rule[[5, 6, 7, 8, 9]]
    entries = [entry("a", "candidate", "estimator", a, data), entry("b", "candidate", "estimator", b, data),
               entry("rule", "baseline", "rule", rule, data)]
    return data, entries, suggestion


def base_summary(entries):
    from evalkit.comparison import compare

    return sensitivity.summary(compare(entries, ACCURACY), None, entries, N)


def test_the_flagged_items_decide_the_best_candidate_and_the_line_says_the_verdict_does_not_survive():
    data, entries, suggestion = constructed_run()
    base = base_summary(entries)
    assert (base["best"], base["lower_bound"]) == ("a", "rule")
    smaller, kept = sensitivity.without_items(data, entries, FLAGGED)
    removed = sensitivity.rescore(kept, smaller, REGISTRY, ACCURACY, NO_BOOTSTRAP)
    replaced = sensitivity.rescore(entries, sensitivity.relabelled(data, FLAGGED, suggestion), REGISTRY,
                                   ACCURACY, NO_BOOTSTRAP)
    assert removed["items"] == 16 and removed["best"] == "b" and removed["best_score"] == pytest.approx(1.0)
    assert replaced["best"] == "b" and replaced["best_score"] == pytest.approx(1.0)
    # rule: 5 wrong of 16 without the flagged items, 5 + 4 wrong of 20 with the suggestions
    assert removed["margin"] == pytest.approx(1.0 - 11 / 16)
    assert replaced["margin"] == pytest.approx(1.0 - 11 / 20)
    line = sensitivity.line(4, base, removed, replaced)
    assert line.startswith("The verdict does NOT survive the 4 flagged item(s)")
    assert "best a → b" in line and "lower bound rule" in line
    assert "margin +0.2000 → +0.3125" in line
    assert "Gold stays gold" in line


def test_flagged_items_that_no_entry_depends_on_leave_the_verdict_standing():
    data, entries, _ = constructed_run()
    entries = [e for e in entries if e.name != "b"]
    base = base_summary(entries)
    # a and rule are right on items 0-3 (both follow gold there): dropping them keeps best and bound
    smaller, kept = sensitivity.without_items(data, entries, FLAGGED)
    removed = sensitivity.rescore(kept, smaller, REGISTRY, ACCURACY, NO_BOOTSTRAP)
    assert sensitivity.survives(base, removed)
    assert sensitivity.changes(base, removed).startswith("best a, lower bound rule (both unchanged)")


def test_significance_is_recomputed_on_the_changed_truth():
    data, entries, suggestion = constructed_run()
    replaced = sensitivity.rescore(entries, sensitivity.relabelled(data, FLAGGED, suggestion), REGISTRY,
                                   ACCURACY, BootstrapConfig(resamples=200))
    assert set(replaced["significance"]) == {"a", "rule"}  # b is best there, compared with the others
    assert all(v in ("better", "not distinguishable", "worse") for v in replaced["significance"].values())


def test_a_partial_entrys_rows_follow_their_items_when_items_are_dropped():
    data = evalset()
    votes = Entry(name="panel/majority_vote", role="baseline", kind="human", metrics={},
                  predictions=Predictions(labels=np.array([0, 1, 1, 0]), scores=None,
                                          item_index=np.array([0, 3, 5, 5]), weight=np.array([1, 1, .5, .5])))
    _, kept = sensitivity.without_items(data, [votes], np.array([1, 3]))
    moved = kept[0].predictions
    assert moved.item_index.tolist() == [0, 3, 3]  # item 5 is the 4th of the kept items
    assert moved.labels.tolist() == [0, 1, 0] and moved.weight.tolist() == [1, .5, .5]
    _, gone = sensitivity.without_items(data, [votes], np.array([0, 3, 5]))
    assert gone == []  # nothing left to score


def test_exact_duplicates_and_train_rows_are_found_and_near_misses_are_not():
    features = pd.DataFrame({"a": [1.0, 2.0, 1.0, np.nan, np.nan, 1.0], "b": ["x", "y", "x", "z", "z", "w"]})
    assert [g.tolist() for g in duplicate_groups(features)] == [[0, 2], [3, 4]]  # NaN equals NaN here
    train = pd.DataFrame({"a": [2.0, 1.0, 5.0], "b": ["y", "q", "x"]})
    assert in_train(features, train).tolist() == [1]
    assert duplicate_groups(features.iloc[:2]) == []


def config(**label_review):
    return validate({"task": "binary", "data": {"path": "t.csv"},
                     "candidates": {"m": {"predictions": "m.csv"}},
                     "baselines": {"people": {"kind": "human", "path": "p.csv"},
                                   "said": {"kind": "external", "metrics": {"accuracy": 0.9}},
                                   "prior": {"kind": "simple_ml",
                                             "estimator": {"_target_": "sklearn.dummy.DummyClassifier"}}},
                     "label_review": {"enabled": True, **label_review}})


@pytest.mark.parametrize(("review", "message"), [
    ({"top": 0}, "label_review.top=0 must be a positive number"),
    ({"entries": ["nobody"]}, "label_review.entries: no candidate or baseline named 'nobody'"),
    ({"entries": ["people"]}, "'people' is a human panel; list it under label_review.panels"),
    ({"entries": ["said"]}, "'said' is an external baseline with no per-item scores"),
    ({"panels": ["said"]}, "label_review.panels: 'said' is not a human baseline; human baselines: people"),
])
def test_bad_label_review_settings_are_refused_before_any_work(review, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        check(config(**review))


def test_label_review_is_refused_for_a_task_without_one_gold_class_per_item():
    cfg = validate({"task": "regression", "data": {"path": "t.csv"}, "label_review": {"enabled": True}})
    with pytest.raises(ConfigError, match="task 'regression' has no single gold class.*binary, multiclass"):
        check(cfg)


def test_only_out_of_sample_scores_count_and_the_rest_is_named_with_the_reason():
    data = evalset()
    probs = np.linspace(0.05, 0.95, N)
    entries = [entry("m", "candidate", "predictions", (probs > .5).astype(int), data, scores=probs),
               entry("labels_only", "candidate", "estimator", data.y, data),
               entry("prior", "baseline", "simple_ml", np.zeros(N, int), data, scores=np.full(N, .5))]
    entries[2].details["fitted_on"] = "the evaluated labels"
    found = gather(config(), entries, data)
    assert [c["name"] for c in found.contributors] == ["m"]
    assert {u["name"]: u["why"] for u in found.not_used} == {
        "labels_only": "gives labels only, no scores",
        "prior": "fitted on the evaluated labels themselves (in-sample)"}
    assert found.votes is None and found.missing() is None
    nothing = gather(config(), entries[1:], data)
    assert nothing.missing().startswith("no evidence about the gold labels")
    assert "and no human panel voted" in nothing.missing()


def test_a_hand_edited_label_review_block_is_one_error_naming_the_field():
    from pathlib import Path

    from evalkit.errors import DataError
    from evalkit.record_check import check_record

    record = {"task": "binary", "strategy": {"name": "average"}, "entries": [],
              "label_review": {"flagged": 1, "top": [{"ranking_score": "high"}]}}
    expected = r"label_review.top\[0\].ranking_score is 'high', expected a finite number"
    with pytest.raises(DataError, match=expected):
        check_record(record, Path("metrics.json"))
