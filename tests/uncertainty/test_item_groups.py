"""Equal rows merged into one weighted row: the same bootstrap and point values as every row apart."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from evalkit.curves import prediction_curves
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.tasks import get_task
from evalkit.tasks.classification import bootstrap as bootstrap_module
from evalkit.tasks.classification.bootstrap import bootstrap_entries
from evalkit.tasks.classification.calibration import Binning
from evalkit.tasks.classification.catalog import METRICS, MetricSettings
from evalkit.tasks.classification.error_costs import parse_costs
from evalkit.tasks.classification.item_groups import collapsed_predictions, item_groups
from evalkit.uncertainty import Resampler

# Integer counts give identical values; sums of losses in another order agree to rounding.
COUNTED = {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "precision_macro",
           "recall_macro", "f1_macro", "f1_weighted", "roc_auc_ovr"}


def tied_binary(n: int, seed: int, decimals: int = 2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = np.round(np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.25, n), 0, 1), decimals)
    return y, (scores >= 0.5).astype(int), scores


def without_groups(monkeypatch, run):
    with monkeypatch.context() as patched:
        patched.setattr(bootstrap_module, "item_groups", lambda columns, **_: None)
        return run()


def assert_same(merged, apart):
    for entry, values in apart.items():
        for name, expected in values.items():
            got = merged[entry][name]
            if name in COUNTED:
                np.testing.assert_array_equal(got, expected, err_msg=f"{entry} {name}")
            else:
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=f"{entry} {name}")


def test_groups_are_the_distinct_rows_and_continuous_scores_are_left_alone():
    # -0.0 and 0.0 are one threshold of the ranking metrics, so one group.
    groups = item_groups([np.array([0, 1, 0, 0, 0]), np.array([0.5, 0.2, 0.5, -0.0, 0.0])], max_share=1)
    assert groups is not None and groups.size == 3
    assert groups.of_item[0] == groups.of_item[2] and groups.of_item[3] == groups.of_item[4]
    assert len({groups.of_item[0], groups.of_item[1], groups.of_item[3]}) == 3
    summed = groups.weights(np.array([[1, 2, 3, 4, 5]], dtype=np.uint8))[0]
    np.testing.assert_array_equal(summed[groups.of_item], [4, 2, 4, 9, 9])
    assert item_groups([np.zeros(100, int), np.random.default_rng(0).random(100)]) is None


def test_binary_bootstrap_of_merged_rows_equals_every_row_apart(monkeypatch):
    # Every family at once: counts, ranking (stratified AUC), losses, calibration, per-item costs,
    # and an entry whose rows stand for items (a panel) beside plain ones.
    y, labels, scores = tied_binary(300, seed=2, decimals=1)
    scores[:150] = 0.1  # equal-mass bins are quantiles of the items, not of the distinct rows
    amount = np.random.default_rng(3).choice([5.0, 10.0, 20.0], 300)  # per-item costs, themselves tied
    settings = MetricSettings(costs=parse_costs({"false_positive": 1, "false_negative": {"column": "a"}},
                                                binary=True),
                              binning=Binning(5, "mass"), amounts={"a": amount})
    names = [*METRICS["binary"], "expected_cost", "ece", "brier_reliability"]
    rows = np.repeat(np.arange(0, 300, 2), 2)
    entries = {"model": (labels, scores), "rule": (1 - labels, None),
               "panel": (labels[rows], scores[rows], rows, np.full(300, 3))}
    resampler = Resampler(300, 60, seed=4, block_size=7)

    def run():
        return {e: bootstrap_entries("binary", names if e != "rule" else ["accuracy", "f1"], y, {e: entry},
                                     resampler, settings=settings) [e]
                for e, entry in entries.items()}

    merged = run()
    assert item_groups([y, labels, scores, amount]) is not None  # the merged path was taken
    assert_same(merged, without_groups(monkeypatch, run))


def test_multiclass_bootstrap_of_merged_rows_equals_every_row_apart(monkeypatch):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 600)
    scores = np.round(rng.dirichlet(np.ones(3) * 2, 600), 1)
    scores /= scores.sum(axis=1, keepdims=True)
    labels = scores.argmax(axis=1)
    resampler = Resampler(600, 50, seed=1)

    def run():
        return bootstrap_entries("multiclass", METRICS["multiclass"], y, {"m": (labels, scores)}, resampler)

    merged = run()
    assert item_groups([y, labels, scores]) is not None
    assert_same(merged, without_groups(monkeypatch, run))


@pytest.mark.parametrize("weighted", [False, True])
def test_point_metrics_of_merged_rows_equal_scikit_learn_on_every_row(weighted):
    y, labels, scores = tied_binary(400, seed=8)
    weight = np.random.default_rng(1).integers(1, 4, 400).astype(float) if weighted else None
    evalset = EvalSet(task="binary", ids=np.arange(400), y=y, classes=("no", "yes"), source="test")
    predictions = Predictions(labels=labels, scores=scores, weight=weight)
    collapsed = collapsed_predictions(predictions, y)
    assert collapsed.scores is not None and collapsed.scores.size <= 200  # rows were merged
    values = get_task("binary").compute_metrics(metric_registry("binary"), evalset, predictions).values
    assert values["roc_auc"] == skm.roc_auc_score(y, scores, sample_weight=weight)
    assert values["average_precision"] == skm.average_precision_score(y, scores, sample_weight=weight)
    assert values["f1"] == skm.f1_score(y, labels, sample_weight=weight)
    assert values["log_loss"] == pytest.approx(skm.log_loss(y, scores, sample_weight=weight), rel=1e-12)
    assert values["brier"] == pytest.approx(skm.brier_score_loss(y, scores, sample_weight=weight), rel=1e-12)


def test_curves_of_merged_rows_are_the_curves_of_every_row():
    y, labels, scores = tied_binary(400, seed=9)
    evalset = EvalSet(task="binary", ids=np.arange(400), y=y, classes=("no", "yes"), source="test")
    predictions = Predictions(labels=labels, scores=scores)
    merged = collapsed_predictions(predictions, y)
    assert merged.weight is not None and merged.weight.sum() == 400
    classes = [(1, "yes")]
    assert prediction_curves(merged, evalset, classes) == prediction_curves(predictions, evalset, classes)


@pytest.mark.parametrize("weighted", [False, True])
def test_label_metrics_merge_on_truth_and_label_even_when_every_score_is_distinct(weighted, monkeypatch):
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 3_000)
    scores = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.25, y.size), 0.001, 0.999)
    labels = (scores >= 0.5).astype(int)
    weight = rng.integers(1, 4, y.size).astype(float) if weighted else None
    assert item_groups([y, labels, scores]) is None  # nothing to merge with the scores
    evalset = EvalSet(task="binary", ids=np.arange(y.size), y=y, classes=("no", "yes"), source="test")
    seen = []
    real_f1 = skm.f1_score
    monkeypatch.setattr(skm, "f1_score", lambda t, p, **kw: seen.append(len(t)) or real_f1(t, p, **kw))
    predictions = Predictions(labels=labels, scores=scores, weight=weight)
    values = get_task("binary").compute_metrics(metric_registry("binary"), evalset, predictions).values
    assert seen == [4]  # (truth, label) pairs, not 3,000 rows
    assert values["f1"] == skm.f1_score(y, labels, sample_weight=weight)
    assert values["accuracy"] == skm.accuracy_score(y, labels, sample_weight=weight)
    assert values["recall"] == skm.recall_score(y, labels, sample_weight=weight)
    assert values["roc_auc"] == skm.roc_auc_score(y, scores, sample_weight=weight)
    assert list(values) == [k for k in metric_registry("binary") if k in values]  # the registry's order
