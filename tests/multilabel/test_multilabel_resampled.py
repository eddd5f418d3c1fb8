"""The block bootstrap of multilabel metrics equals scikit-learn on the same resamples, expanded."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import DataError
from evalkit.evalset import EvalSet
from evalkit.metrics import multilabel as ml
from evalkit.metrics import registry as metric_specs
from evalkit.metrics.multilabel_resampled import MultilabelPlan
from evalkit.predictions import Predictions
from evalkit.tasks.multilabel import per_resample
from evalkit.uncertainty.resampling import Resampler

ALL = tuple(ml.MULTILABEL_METRICS)


def sklearn_value(name: str, Y: np.ndarray, P: np.ndarray, S: np.ndarray) -> float:
    """scikit-learn's value on an expanded resample, with evalkit's documented conventions (NaN, not 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "map":
            keep = Y.sum(axis=0) > 0
            return float(skm.average_precision_score(Y[:, keep], S[:, keep])) if keep.any() else math.nan
        if name in ("map_weighted", "map_micro"):
            if Y.sum() == 0:
                return math.nan
            return float(skm.average_precision_score(Y, S, average=name.removeprefix("map_")))
        calls = {
            "f1_micro": lambda: skm.f1_score(Y, P, average="micro", zero_division=np.nan),
            "f1_macro": lambda: skm.f1_score(Y, P, average="macro", zero_division=np.nan),
            "precision_micro": lambda: skm.precision_score(Y, P, average="micro", zero_division=np.nan),
            "recall_micro": lambda: skm.recall_score(Y, P, average="micro", zero_division=np.nan),
            "hamming_loss": lambda: skm.hamming_loss(Y, P),
            "subset_accuracy": lambda: skm.accuracy_score(Y, P),
            "coverage_error": lambda: skm.coverage_error(Y, S),
            "label_ranking_average_precision": lambda: skm.label_ranking_average_precision_score(Y, S),
        }
        return float(calls[name]())


def same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(2, 25))
    n_labels = draw(st.integers(2, 5))  # one column reads as binary targets to scikit-learn
    cells = n * n_labels
    Y = np.array(draw(st.lists(st.integers(0, 1), min_size=cells, max_size=cells))).reshape(n, n_labels)
    P = np.array(draw(st.lists(st.integers(0, 1), min_size=cells, max_size=cells))).reshape(n, n_labels)
    # Few distinct scores, so ties within a label, across labels and between classes are common.
    levels = draw(st.sampled_from([2, 3, 10]))
    S = np.array(draw(st.lists(st.integers(0, levels), min_size=cells, max_size=cells))).reshape(n, n_labels)
    return Y, P, S / levels, draw(st.integers(0, 2**16))


@settings(max_examples=15, deadline=None)
@given(cases())
def test_every_metric_equals_sklearn_on_the_expanded_resamples(case) -> None:
    Y, P, S, seed = case
    resampler = Resampler(Y.shape[0], 3, seed=seed, block_size=2)
    plan = MultilabelPlan(ALL, Y, labels=P, scores=S)
    values = {m: np.concatenate([plan.values(block)[m] for _, block in resampler.blocks(compact=True)])
              for m in ALL}
    for r in range(resampler.resamples):
        rows = resampler.indices(r)
        for name in ALL:
            expected = sklearn_value(name, Y[rows], P[rows], S[rows])
            assert same(values[name][r], expected), (name, r, values[name][r], expected)


@settings(max_examples=20, deadline=None)
@given(cases(), st.sampled_from(["dyadic", "float"]))
def test_fractional_weights_equal_the_point_functions(case, kind) -> None:
    """Pseudo-items carry weights like 1/4 (a vote's settled ties): the block equals each weighted call."""
    Y, P, S, seed = case
    rng = np.random.default_rng(seed)
    W = rng.integers(0, 4, size=(3, Y.shape[0])).astype(np.float64)
    W *= 0.25 if kind == "dyadic" else rng.uniform(0.1, 2.0, size=W.shape)
    W[:, 0] += 1.0  # never an all-zero row here
    values = MultilabelPlan(ALL, Y, labels=P, scores=S).values(W)
    for name, metric in ml.MULTILABEL_METRICS.items():
        second = P if metric.needs == "labels" else S
        for r in range(W.shape[0]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = metric.function(Y, second, sample_weight=W[r])
            assert same(values[name][r], expected), (name, r)


def test_an_all_zero_resample_is_undefined_not_an_error() -> None:
    Y, S = np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.2, 0.8]])
    values = MultilabelPlan(("map", "coverage_error"), Y, scores=S).values(np.array([[0, 0], [1, 1]]))
    assert np.isnan(values["map"][0]) and values["map"][1] == 1.0
    assert np.isnan(values["coverage_error"][0]) and values["coverage_error"][1] == 1.0


def test_bad_weights_are_refused_with_their_shape() -> None:
    plan = MultilabelPlan(("map",), np.array([[1], [0]]), scores=np.array([[0.5], [0.2]]))
    with pytest.raises(DataError, match=r"weights should have shape \(b, 2\)"):
        plan.values(np.ones((2, 3)))
    with pytest.raises(DataError, match="non-negative"):
        plan.values(np.array([[1.0, -1.0]]))


def test_the_task_bootstrap_maps_pseudo_items_to_their_items_weights() -> None:
    """A panel row stands for an item with its own weight: its resample weight is the product."""
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    evalset = EvalSet(task="multilabel", ids=np.arange(4), y=Y, classes=("a", "b"), source="test")
    item_index = np.array([0, 1, 1, 2, 3])
    labels = np.array([[1, 0], [0, 1], [0, 0], [1, 0], [0, 1]])
    own = np.array([1.0, 0.5, 0.5, 1.0, 1.0])
    preds = Predictions(labels=labels, scores=labels * 0.8 + 0.1, item_index=item_index, weight=own)
    resampler = Resampler(4, 5, seed=3)
    names = ("f1_micro", "map")
    values = per_resample(preds, names, evalset, metric_specs.MULTILABEL, resampler)
    for r in range(5):
        w = resampler.weights(r)[item_index] * own
        assert same(values["f1_micro"][r], ml.f1_micro(Y[item_index], labels, sample_weight=w))
        assert same(values["map"][r], ml.map(Y[item_index], preds.scores, sample_weight=w))
