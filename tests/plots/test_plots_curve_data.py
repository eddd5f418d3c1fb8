"""Curve data (``curves.json``): the same numbers as scikit-learn, small whatever the eval set's size,
and the same bytes on every run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plot_data import binary_evalset, noisy_scores
from sklearn import metrics as skm

from evalkit.curves import MAX_POINTS, confusion, curve_record, downsample, pr_points, roc_points
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.predictions import Predictions


def test_roc_runs_from_corner_to_corner_with_scikit_learns_area():
    y = binary_evalset().y
    scores = noisy_scores(y, 0.3, 1)
    roc = roc_points(y, scores)
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0, 0, 1, 1)
    assert roc["auc"] == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-6)
    assert np.all(np.diff(roc["fpr"]) >= 0) and np.all(np.diff(roc["tpr"]) >= 0)


def test_pr_curve_has_recall_increasing_scikit_learns_average_precision_and_the_positive_share():
    y = binary_evalset().y
    scores = noisy_scores(y, 0.3, 1)
    pr = pr_points(y, scores)
    assert pr["recall"][0] == 0 and pr["recall"][-1] == 1
    assert np.all(np.diff(pr["recall"]) >= 0)
    assert pr["ap"] == pytest.approx(skm.average_precision_score(y, scores), abs=1e-6)
    assert pr["prevalence"] == pytest.approx(y.mean())


def test_a_large_eval_set_gives_a_small_curve_that_keeps_its_ends_and_is_deterministic():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50_000)
    scores = np.clip(0.3 * y + 0.7 * rng.random(50_000), 0, 1)
    roc = roc_points(y, scores)
    assert len(roc["fpr"]) <= MAX_POINTS
    assert (roc["fpr"][0], roc["tpr"][-1]) == (0, 1)
    assert roc == roc_points(y, scores)
    # the area of the kept points stays close to the exact area
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(roc["auc"], abs=2e-3)


def test_downsampling_leaves_short_curves_alone():
    x, y = np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.8, 1.0])
    assert downsample(x, y, 10) == (x, y)


def test_a_tied_vote_splits_its_item_across_two_cells_of_the_confusion_matrix():
    matrix = confusion(np.array([0, 1, 1, 1]), np.array([0, 1, 0, 1]), 2,
                       sample_weight=np.array([1, 1, 0.5, 0.5]))
    assert matrix == [[1, 0], [0.5, 1.5]]


def test_the_document_holds_every_entry_with_predictions_and_only_what_each_gives(binary_curves):
    entries = binary_curves["entries"]
    assert binary_curves["format"] == 1 and binary_curves["curve_classes"] == ["pos"]
    assert "spec" not in entries  # an external number has no predictions
    assert set(entries["alpha"]) == {"role", "kind", "confusion", "curves"}
    assert set(entries["rule"]) == {"role", "kind", "confusion"}  # labels only: no curve
    assert sum(map(sum, entries["panel/majority_vote"]["confusion"])) == pytest.approx(200)
    assert set(entries["alpha"]["curves"]["pos"]) == {"roc", "pr"}


def test_the_document_is_small_and_serialises_identically(binary_curves):
    text = json.dumps(binary_curves, separators=(",", ":"))
    assert len(text) < 40_000
    assert json.loads(text) == binary_curves


def test_multiclass_gets_one_vs_rest_curves_per_class_and_skips_a_class_absent_from_the_truth():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])  # class 3 ("d") never occurs
    evalset = EvalSet("multiclass", np.array([str(i) for i in range(8)], dtype=object), y,
                      ("a", "b", "c", "d"), "test")
    scores = np.full((8, 4), 0.1)
    scores[np.arange(8), y] = 0.7
    document = curve_record([Entry("m", "candidate", "estimator", {},
                                   predictions=Predictions(labels=y, scores=scores))], evalset)
    entry = document["entries"]["m"]
    assert document["curve_classes"] == ["a", "b", "c", "d"]
    assert set(entry["curves"]) == {"a", "b", "c"}
    assert "only one side" in entry["skipped"]["d"]
    assert entry["curves"]["b"]["roc"]["auc"] == 1.0
    assert np.array(entry["confusion"]).diagonal().tolist() == [3, 3, 2, 0]
