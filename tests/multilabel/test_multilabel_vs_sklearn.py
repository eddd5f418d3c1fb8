"""Every multilabel metric against scikit-learn on generated data, with and without sample weights."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import sklearn.metrics as skm

from evalkit.metrics import multilabel as ml

TOL = 1e-12


def close(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or math.isclose(ours, theirs, rel_tol=TOL, abs_tol=TOL)


def quiet(fn: Callable[..., float], *args: object, **kwargs: object) -> float:
    """scikit-learn warns on undefined values; the value is what we compare."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(*args, **kwargs))


def make_case(seed: int, weights: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Y with rows without labels and either an all-negative label or an all-true row; scores with ties."""
    rng = np.random.default_rng(seed)
    n, n_labels = int(rng.integers(5, 60)), int(rng.integers(2, 9))
    Y = (rng.random((n, n_labels)) < rng.uniform(0.05, 0.6, size=n_labels)).astype(int)
    Y[rng.random(n) < 0.2] = 0  # rows without labels
    if seed % 3:
        Y[:, int(rng.integers(n_labels))] = 0  # a label without positives
    else:
        Y[0] = 1  # a row where every label is true (LRAP scores it 1)
    S = rng.random((n, n_labels))
    if seed % 2:
        S = np.round(S, 1)  # many ties, within and across labels
    P = (rng.random((n, n_labels)) < 0.35).astype(int)
    if weights == "none":
        w = None
    elif weights == "float":
        w = rng.uniform(0.1, 3.0, size=n)
    else:  # bootstrap counts: some rows drawn 0 times
        w = rng.integers(0, 4, size=n).astype(float)
        positives = Y.sum(axis=0)
        if seed % 2 == 0 and (positives > 0).any():
            # A label whose positives were all drawn 0 times: it has no positive in this resample.
            rarest = int(np.argmin(np.where(positives > 0, positives, n + 1)))
            w[Y[:, rarest] == 1] = 0.0
        if w.sum() == 0:
            w[int(np.argmin(Y.sum(axis=1)))] = 1.0
    return Y, S, P, w


CASES = [(seed, weights) for seed in range(30) for weights in ("none", "float", "counts")]


def test_cases_cover_the_corners() -> None:
    """The generated data must contain what the brief asks to test, or the comparisons prove little."""
    seen = {"excluded label": 0, "excluded by weight only": 0, "row without labels": 0, "all-true row": 0}
    for seed, weights in CASES:
        Y, _, _, w = make_case(seed, weights)
        support = weighted_support(Y, w)
        seen["excluded label"] += bool((support == 0).any())
        seen["excluded by weight only"] += bool(((support == 0) & (Y.sum(axis=0) > 0)).any())
        seen["row without labels"] += bool((Y.sum(axis=1) == 0).any())
        seen["all-true row"] += bool((Y.sum(axis=1) == Y.shape[1]).any())
    assert all(count >= 3 for count in seen.values()), seen


def weighted_support(Y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return Y.sum(axis=0) if w is None else (Y * w[:, None]).sum(axis=0)


@pytest.mark.parametrize(("seed", "weights"), CASES)
def test_map_family_matches_sklearn(seed: int, weights: str) -> None:
    Y, S, _, w = make_case(seed, weights)
    keep = weighted_support(Y, w) > 0
    assert ml.excluded_labels(Y, sample_weight=w) == np.flatnonzero(~keep).tolist()
    expected = quiet(skm.average_precision_score, Y[:, keep], S[:, keep], average="macro", sample_weight=w)
    assert close(ml.map(Y, S, sample_weight=w), expected)
    expected = quiet(skm.average_precision_score, Y, S, average="weighted", sample_weight=w)
    assert close(ml.map_weighted(Y, S, sample_weight=w), expected)
    expected = quiet(skm.average_precision_score, Y, S, average="micro", sample_weight=w)
    assert close(ml.map_micro(Y, S, sample_weight=w), expected)


@pytest.mark.parametrize(("seed", "weights"), CASES)
def test_per_label_ap_matches_sklearn(seed: int, weights: str) -> None:
    Y, S, _, w = make_case(seed, weights)
    per_label = ml.per_label_ap(Y, S, sample_weight=w)
    support = weighted_support(Y, w)
    assert list(per_label) == list(range(Y.shape[1]))
    for j, ap in per_label.items():
        if support[j] == 0:
            assert ap is None
        else:
            assert ap is not None
            assert close(ap, quiet(skm.average_precision_score, Y[:, j], S[:, j], sample_weight=w))


LABEL_METRICS = {
    "f1_micro": lambda Y, P, w: skm.f1_score(Y, P, average="micro", zero_division=np.nan, sample_weight=w),
    "f1_macro": lambda Y, P, w: skm.f1_score(Y, P, average="macro", zero_division=np.nan, sample_weight=w),
    "precision_micro": lambda Y, P, w: skm.precision_score(
        Y, P, average="micro", zero_division=np.nan, sample_weight=w
    ),
    "recall_micro": lambda Y, P, w: skm.recall_score(
        Y, P, average="micro", zero_division=np.nan, sample_weight=w
    ),
    "hamming_loss": lambda Y, P, w: skm.hamming_loss(Y, P, sample_weight=w),
    "subset_accuracy": lambda Y, P, w: skm.accuracy_score(Y, P, sample_weight=w),
}
SCORE_METRICS = {
    "coverage_error": lambda Y, S, w: skm.coverage_error(Y, S, sample_weight=w),
    "label_ranking_average_precision": lambda Y, S, w: skm.label_ranking_average_precision_score(
        Y, S, sample_weight=w
    ),
}


@pytest.mark.parametrize("name", sorted(LABEL_METRICS))
@pytest.mark.parametrize(("seed", "weights"), CASES)
def test_label_metrics_match_sklearn(name: str, seed: int, weights: str) -> None:
    Y, _, P, w = make_case(seed, weights)
    ours = ml.MULTILABEL_METRICS[name].function(Y, P, sample_weight=w)
    assert close(ours, quiet(LABEL_METRICS[name], Y, P, w))


@pytest.mark.parametrize("name", sorted(SCORE_METRICS))
@pytest.mark.parametrize(("seed", "weights"), CASES)
def test_ranking_metrics_match_sklearn(name: str, seed: int, weights: str) -> None:
    Y, S, _, w = make_case(seed, weights)
    ours = ml.MULTILABEL_METRICS[name].function(Y, S, sample_weight=w)
    assert close(ours, quiet(SCORE_METRICS[name], Y, S, w))


def test_registry_covers_exactly_the_compared_metrics() -> None:
    compared = set(LABEL_METRICS) | set(SCORE_METRICS) | {"map", "map_weighted", "map_micro"}
    assert set(ml.MULTILABEL_METRICS) == compared


@pytest.mark.parametrize("name", sorted(LABEL_METRICS))
def test_label_metrics_on_undefined_corners(name: str) -> None:
    """Empty truth and/or empty prediction: where scikit-learn says NaN (zero_division=nan), so do we."""
    ones, zeros = np.ones((3, 2), dtype=int), np.zeros((3, 2), dtype=int)
    for Y, P in [
        (zeros, zeros),
        (zeros, ones),
        (ones, zeros),
        (np.array([[1, 0]] * 3), np.array([[0, 0]] * 3)),
    ]:
        ours = ml.MULTILABEL_METRICS[name].function(Y, P)
        assert close(ours, quiet(LABEL_METRICS[name], Y, P, None)), (Y.tolist(), P.tolist())


def test_integer_weights_equal_repeated_rows() -> None:
    """Bootstrap counts as sample_weight give the metric of the resample itself."""
    Y, S, P, _ = make_case(7, "none")
    counts = np.random.default_rng(0).integers(0, 4, size=Y.shape[0])
    counts[1] = max(counts[1], 1)
    rows = np.repeat(np.arange(Y.shape[0]), counts)
    for name, metric in ml.MULTILABEL_METRICS.items():
        second = P if metric.needs == "labels" else S
        weighted = metric.function(Y, second, sample_weight=counts)
        resampled = metric.function(Y[rows], second[rows])
        assert close(weighted, resampled), name
