"""Multilabel metrics: exclusions, rows without labels, undefined values, validation and the registry."""

from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evalkit.errors import ConfigError, DataError
from evalkit.metrics import multilabel as ml

Y = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 0, 0]])
S = np.array([[0.9, 0.2, 0.1, 0.6], [0.3, 0.8, 0.4, 0.7], [0.6, 0.7, 0.2, 0.1], [0.5, 0.1, 0.9, 0.3]])


def test_label_without_positives_is_excluded_not_zero() -> None:
    assert ml.excluded_labels(Y) == [2]
    per_label = ml.per_label_ap(Y, S)
    assert per_label[2] is None
    included = [v for v in per_label.values() if v is not None]
    assert ml.map(Y, S) == pytest.approx(sum(included) / 3, abs=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counted_as_zero = skm.average_precision_score(Y, S, average="macro")
    assert ml.map(Y, S) > counted_as_zero  # sklearn averages a 0 in for label 2


def test_label_whose_positives_all_weigh_zero_is_excluded() -> None:
    w = np.array([1.0, 1.0, 0.0, 1.0])  # label 0's positives: rows 0 and 2; label 1's: rows 1 and 2
    assert ml.excluded_labels(Y, sample_weight=w) == [2]
    w = np.array([0.0, 1.0, 0.0, 1.0])
    assert ml.excluded_labels(Y, sample_weight=w) == [0, 2]
    assert ml.per_label_ap(Y, S, sample_weight=w)[0] is None


def test_nothing_to_score_is_nan_not_zero() -> None:
    empty = np.zeros((3, 2), dtype=int)
    scores = np.random.default_rng(0).random((3, 2))
    assert ml.excluded_labels(empty) == [0, 1]
    for fn in (ml.map, ml.map_weighted, ml.map_micro):
        assert math.isnan(fn(empty, scores))  # sklearn returns 0 here, with a warning
    assert ml.per_label_ap(empty, scores) == {0: None, 1: None}


def test_rows_without_labels_follow_sklearn() -> None:
    # Row 3 has no label: LRAP scores it 1 and coverage counts it 0, as scikit-learn does.
    only_empty = np.zeros((1, 4), dtype=int)
    assert ml.label_ranking_average_precision(only_empty, S[3:]) == 1.0
    assert ml.coverage_error(only_empty, S[3:]) == 0.0
    assert ml.label_ranking_average_precision(Y, S) == pytest.approx(
        skm.label_ranking_average_precision_score(Y, S), abs=1e-15
    )
    assert ml.coverage_error(Y, S) == skm.coverage_error(Y, S)
    # subset accuracy: an empty row is right only when nothing is predicted for it.
    assert ml.subset_accuracy(only_empty, only_empty) == 1.0
    assert ml.subset_accuracy(only_empty, np.array([[0, 1, 0, 0]])) == 0.0


def test_all_true_row_scores_one_in_lrap() -> None:
    assert ml.label_ranking_average_precision(np.ones((1, 3), dtype=int), np.array([[0.1, 0.9, 0.5]])) == 1.0


def test_perfect_and_worst_rankings() -> None:
    perfect = Y.astype(float) + 0.5 * np.random.default_rng(1).random(Y.shape) * (1 - Y)
    assert ml.map(Y, Y + 0.0) == 1.0
    assert ml.label_ranking_average_precision(Y, perfect) == 1.0
    assert ml.coverage_error(Y, perfect) == Y.sum(axis=1).mean()


def test_constant_scores_tie_everything() -> None:
    flat = np.full(Y.shape, 0.5)
    # One threshold: precision = share of positives, for every included label.
    share = Y.sum(axis=0) / Y.shape[0]
    assert ml.map(Y, flat) == pytest.approx(share[[0, 1, 3]].mean(), abs=1e-15)
    assert ml.coverage_error(Y, flat) == pytest.approx(4 * 3 / 4)  # three rows need all 4 labels, one needs 0


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 12),
    n_labels=st.integers(2, 4),
    weighted=st.booleans(),
)
def test_small_tied_inputs_match_sklearn(data: st.DataObject, n: int, n_labels: int, weighted: bool) -> None:
    """Integer scores force ties everywhere; integer weights include zeros."""
    y = data.draw(hnp.arrays(np.int64, (n, n_labels), elements=st.integers(0, 1)))
    s = data.draw(hnp.arrays(np.float64, (n, n_labels), elements=st.integers(0, 3).map(float)))
    w = None
    if weighted:
        w = data.draw(hnp.arrays(np.float64, (n,), elements=st.integers(0, 3).map(float)))
        if w.sum() == 0:
            w[0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j, ap in ml.per_label_ap(y, s, sample_weight=w).items():
            has_positive = (y[:, j] if w is None else y[:, j] * w).sum() > 0
            assert (ap is None) == (not has_positive)
            if ap is not None:
                assert ap == pytest.approx(
                    skm.average_precision_score(y[:, j], s[:, j], sample_weight=w), abs=1e-12
                )
        expected = skm.label_ranking_average_precision_score(y, s, sample_weight=w)
        assert ml.label_ranking_average_precision(y, s, sample_weight=w) == pytest.approx(expected, abs=1e-12)
        expected = skm.coverage_error(y, s, sample_weight=w)
        assert ml.coverage_error(y, s, sample_weight=w) == pytest.approx(expected, abs=1e-12)


# --- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        ((np.array([1, 0, 1]), S[:, :1]), {}, "Y must be a non-empty 2-D"),
        ((np.zeros((0, 3)), np.zeros((0, 3))), {}, "Y must be a non-empty 2-D"),
        ((np.array([[2, 0], [0, 1]]), np.zeros((2, 2))), {}, "Y must contain only 0 and 1"),
        ((np.array([["a", "b"]]), np.zeros((1, 2))), {}, "Y must contain only 0 and 1"),
        ((Y, S[:, :3]), {}, "S has shape (4, 3) but Y has shape (4, 4)"),
        ((Y, np.where(Y == 1, np.nan, S)), {}, "S contains NaN or infinite"),
        ((Y, S.astype(str)), {}, "S must hold numbers"),
        ((Y, S), {"sample_weight": np.ones(3)}, "sample_weight must be 4 numbers"),
        ((Y, S), {"sample_weight": np.array([1.0, -1.0, 1.0, 1.0])}, "finite and non-negative"),
        ((Y, S), {"sample_weight": np.array([1.0, np.nan, 1.0, 1.0])}, "finite and non-negative"),
        ((Y, S), {"sample_weight": np.zeros(4)}, "0 for every row"),
    ],
)
def test_bad_score_inputs_raise_data_errors_that_name_the_argument(
    args: tuple, kwargs: dict, fragment: str
) -> None:
    with pytest.raises(DataError) as info:
        ml.map(*args, **kwargs)
    assert fragment in str(info.value)


def test_bad_label_inputs() -> None:
    with pytest.raises(DataError, match=r"P has shape \(4, 3\)"):
        ml.f1_micro(Y, Y[:, :3])
    with pytest.raises(DataError, match="P must contain only 0 and 1"):
        ml.f1_micro(Y, S)


def test_bool_and_float_indicators_are_accepted() -> None:
    assert ml.f1_micro(Y.astype(bool), Y.astype(float)) == 1.0


# --- registry ----------------------------------------------------------------------------------------------


def test_registry_describes_each_metric() -> None:
    for name, metric in ml.MULTILABEL_METRICS.items():
        assert metric.name == name
        assert metric.function is getattr(ml, name)
        assert metric.needs in ("labels", "scores")
        # Direction follows the naming convention: *_loss and *_error are lower-is-better.
        assert metric.higher_is_better == (not name.endswith(("_loss", "_error")))
    assert ml.MULTILABEL_METRICS["coverage_error"].bounded_01 is False
    with pytest.raises(AttributeError):
        ml.MULTILABEL_METRICS["map"].higher_is_better = False  # type: ignore[misc]


def test_bounded_metrics_stay_in_unit_interval() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        y = (rng.random((15, 4)) < 0.3).astype(int)
        y[0, 0] = 1
        s, p = rng.random((15, 4)), (rng.random((15, 4)) < 0.3).astype(int)
        for metric in ml.MULTILABEL_METRICS.values():
            value = metric.function(y, p if metric.needs == "labels" else s)
            if metric.bounded_01 and not math.isnan(value):
                assert 0.0 <= value <= 1.0, metric.name


def test_compute_dispatches_by_need() -> None:
    P = (S > 0.5).astype(int)
    assert ml.compute("map", Y, S=S) == ml.map(Y, S)
    assert ml.compute("f1_micro", Y, P=P, S=S) == ml.f1_micro(Y, P)
    w = np.array([1.0, 2.0, 0.0, 1.0])
    assert ml.compute("hamming_loss", Y, P=P, sample_weight=w) == ml.hamming_loss(Y, P, sample_weight=w)


def test_compute_errors_teach() -> None:
    with pytest.raises(ConfigError, match="unknown multilabel metric 'mAP'; choose one of map, map_weighted"):
        ml.compute("mAP", Y, S=S)
    with pytest.raises(ConfigError, match=r"'map' needs scores \(S\) but was given only labels"):
        ml.compute("map", Y, P=Y)
    with pytest.raises(
        ConfigError, match=r"'f1_micro' needs predicted labels \(P\) but was given no predictions"
    ):
        ml.compute("f1_micro", Y)


def test_module_doctests_pass() -> None:
    result = doctest.testmod(ml)
    assert result.attempted > 0 and result.failed == 0
