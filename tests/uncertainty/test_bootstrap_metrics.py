"""Every bootstrap metric against scikit-learn called on the same resampled indices, to 1e-9."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.classification import bootstrap as bootstrap_module
from evalkit.tasks.classification.bootstrap import (
    STRATIFIED_METRICS,
    bootstrap_entries,
    bootstrap_metric_values,
    weighted_metric_values,
)
from evalkit.tasks.classification.catalog import METRICS
from evalkit.uncertainty import Resampler
from evalkit.uncertainty.resampling import strata_of

BINARY = list(METRICS["binary"])
MULTICLASS = list(METRICS["multiclass"])


def sklearn_value(task: str, name: str, y: np.ndarray, labels, scores, k: int = 2) -> float:
    """The reference: the scikit-learn call that defines ``name``, NaN where it raises.

    Average precision without a positive is NaN too: scikit-learn warns and returns 0.0 there, but
    the value is undefined, and a 0 would drag a bootstrap interval down to 0.
    """
    classes = list(range(k))
    if name == "average_precision" and not np.any(np.asarray(y) == 1):
        return float("nan")
    calls = {
        "accuracy": lambda: skm.accuracy_score(y, labels),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, labels),
        "precision": lambda: skm.precision_score(y, labels, pos_label=1, zero_division=np.nan),
        "recall": lambda: skm.recall_score(y, labels, pos_label=1, zero_division=np.nan),
        "f1": lambda: skm.f1_score(y, labels, pos_label=1, zero_division=np.nan),
        "roc_auc": lambda: skm.roc_auc_score(y, scores),
        "average_precision": lambda: skm.average_precision_score(y, scores),
        "brier": lambda: skm.brier_score_loss(y, scores),
        "precision_macro": lambda: skm.precision_score(
            y, labels, labels=classes, average="macro", zero_division=np.nan
        ),
        "recall_macro": lambda: skm.recall_score(
            y, labels, labels=classes, average="macro", zero_division=np.nan
        ),
        "f1_macro": lambda: skm.f1_score(y, labels, labels=classes, average="macro", zero_division=np.nan),
        "f1_weighted": lambda: skm.f1_score(
            y, labels, labels=classes, average="weighted", zero_division=np.nan
        ),
        "roc_auc_ovr": lambda: skm.roc_auc_score(
            y, scores, multi_class="ovr", average="macro", labels=classes
        ),
        "log_loss": lambda: skm.log_loss(y, scores, labels=classes),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(calls[name]())
        except ValueError:
            return float("nan")


def reference_values(task, names, y, labels, scores, resampler, k=2) -> dict[str, np.ndarray]:
    """scikit-learn on each resample's indices; ROC AUC on the resample drawn within each true class."""
    out = {name: np.empty(resampler.resamples) for name in names}
    for r in range(resampler.resamples):
        plain = resampler.indices(r)
        stratified = resampler.stratified_indices(r, strata_of(y))
        # Drawn within class, the resample keeps every class's count: ROC AUC is always defined.
        assert np.array_equal(np.bincount(y[stratified], minlength=k), np.bincount(y, minlength=k))
        for name in names:
            idx = stratified if name in STRATIFIED_METRICS else plain
            lab = None if labels is None else labels[idx]
            sc = None if scores is None else scores[idx]
            out[name][r] = sklearn_value(task, name, y[idx], lab, sc, k)
    return out


def assert_matches(fast: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> None:
    for name, expected in ref.items():
        got = fast[name]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"NaN pattern of {name}")
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9, equal_nan=True, err_msg=name)


def binary_data(n: int, seed: int, decimals: int | None = 1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.3, n), 0, 1)
    if decimals is not None:
        scores = np.round(scores, decimals)  # many tied scores, within and across classes
    labels = (scores > 0.5).astype(int)
    return y, labels, scores


@pytest.mark.parametrize("method", ["multinomial", "poisson"])
def test_binary_metrics_match_sklearn_with_ties(method):
    y, labels, scores = binary_data(40, seed=1)
    scores[:3] = [0.0, 1.0, -0.0]  # log loss clipping, and -0.0 tied with 0.0 as np.diff sees it
    rs = Resampler(40, 40, seed=7, method=method)
    fast = bootstrap_metric_values("binary", BINARY, y, labels, scores, rs)
    assert_matches(fast, reference_values("binary", BINARY, y, labels, scores, rs))


def test_binary_single_class_resamples_and_undefined_precision():
    # One positive and one predicted positive in 8 items: most resamples have no positive (AP
    # undefined; ROC AUC is drawn within class, so always defined) or nothing predicted positive
    # (precision undefined).
    y = np.array([0, 0, 0, 1, 0, 0, 0, 0])
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 0])
    scores = np.array([0.1, 0.2, 0.2, 0.7, 0.3, 0.2, 0.9, 0.0])
    rs = Resampler(8, 40, seed=3)
    fast = bootstrap_metric_values("binary", BINARY, y, labels, scores, rs)
    ref = reference_values("binary", BINARY, y, labels, scores, rs)
    assert np.isnan(ref["average_precision"]).any() and np.isnan(ref["precision"]).any()
    assert not np.isnan(ref["roc_auc"]).any() and not (fast["average_precision"] == 0).any()
    assert_matches(fast, ref)


def test_binary_all_one_class():
    y = np.ones(5, dtype=int)
    labels = np.array([1, 1, 0, 1, 1])
    scores = np.array([0.9, 0.4, 0.4, 0.8, 1.0])
    rs = Resampler(5, 30, seed=0)
    fast = bootstrap_metric_values("binary", BINARY, y, labels, scores, rs)
    assert np.isnan(fast["roc_auc"]).all()
    assert_matches(fast, reference_values("binary", BINARY, y, labels, scores, rs))


def multiclass_data(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=np.linspace(1, 3, k) / np.linspace(1, 3, k).sum())
    logits = rng.normal(0, 1, (n, k)) + 1.5 * np.eye(k)[y]
    scores = np.round(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), 1)  # ties
    scores[:, -1] = 1 - scores[:, :-1].sum(axis=1)
    scores = np.clip(scores, 0, 1)
    scores /= scores.sum(axis=1, keepdims=True)
    return y, scores.argmax(axis=1), scores


@pytest.mark.parametrize(("n", "k"), [(60, 3), (14, 4)])
def test_multiclass_metrics_match_sklearn(n, k):
    # n=14 with 4 classes: resamples miss classes, so macro averages drop undefined classes and
    # the one-vs-rest AUC is undefined.
    y, labels, scores = multiclass_data(n, k, seed=n)
    rs = Resampler(n, 30, seed=11)
    fast = bootstrap_metric_values("multiclass", MULTICLASS, y, labels, scores, rs)
    ref = reference_values("multiclass", MULTICLASS, y, labels, scores, rs, k)
    assert_matches(fast, ref)


def test_multiclass_labels_only_with_n_classes():
    y, labels, _ = multiclass_data(30, 5, seed=2)
    names = ["accuracy", "balanced_accuracy", "f1_macro"]
    rs = Resampler(30, 50, seed=1)
    fast = bootstrap_metric_values("multiclass", names, y, labels, None, rs, n_classes=5)
    assert_matches(fast, reference_values("multiclass", names, y, labels, None, rs, 5))


@pytest.mark.parametrize("chunk_elements", [1, 64, 2**20])
def test_chunking_does_not_change_values(monkeypatch, chunk_elements):
    # One resample per chunk (the large-n path) and many per chunk (the small-n path) agree.
    y, labels, scores = binary_data(50, seed=5)
    rs = Resampler(50, 20, seed=2, block_size=8)
    monkeypatch.setattr(bootstrap_module, "CHUNK_ELEMENTS", chunk_elements)
    fast = bootstrap_metric_values("binary", BINARY, y, labels, scores, rs)
    assert_matches(fast, reference_values("binary", BINARY, y, labels, scores, rs))


def test_entries_are_paired_and_equal_single_entry_runs():
    y, labels, scores = binary_data(30, seed=8)
    other = np.round(np.clip(scores + 0.1, 0, 1), 2)
    rs = Resampler(30, 60, seed=4, block_size=7)
    both = bootstrap_entries(
        "binary", ["f1", "roc_auc"], y, {"a": (labels, scores), "b": (1 - labels, other)}, rs
    )
    alone = bootstrap_metric_values("binary", ["f1", "roc_auc"], y, 1 - labels, other, rs)
    for name in ("f1", "roc_auc"):
        np.testing.assert_array_equal(both["b"][name], alone[name])


def test_empty_poisson_resample_is_nan():
    y = np.array([0, 1])
    w = np.array([[0, 0], [1, 1]])
    out = weighted_metric_values("binary", BINARY, y, np.array([0, 1]), np.array([0.2, 0.7]), w)
    for name in BINARY:
        assert np.isnan(out[name][0]), name
        assert not np.isnan(out[name][1]), name


binary_cases = st.integers(2, 25).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
    )
)


@settings(max_examples=40, deadline=None)
@given(binary_cases)
def test_integer_weights_equal_repeated_items(case):
    """Property: weights w give sklearn's value on the data with item i repeated w_i times."""
    y, labels, scores, w = (np.array(v) for v in case)
    idx = np.repeat(np.arange(y.size), w)
    got = weighted_metric_values("binary", BINARY, y, labels, scores.astype(float), w)
    for name in BINARY:
        expected = sklearn_value("binary", name, y[idx], labels[idx], scores[idx]) if idx.size else np.nan
        np.testing.assert_allclose(got[name][0], expected, rtol=0, atol=1e-9, equal_nan=True, err_msg=name)


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 40), st.integers(3, 5), st.integers(0, 10**6))
def test_weights_of_ones_reproduce_plain_sklearn_multiclass(n, k, seed):
    y, labels, scores = multiclass_data(n, k, seed)
    got = weighted_metric_values("multiclass", MULTICLASS, y, labels, scores, np.ones(n, dtype=int))
    for name in MULTICLASS:
        expected = sklearn_value("multiclass", name, y, labels, scores, k)
        np.testing.assert_allclose(got[name][0], expected, rtol=0, atol=1e-9, equal_nan=True, err_msg=name)


def test_continuous_scores_large_n_match_sklearn():
    # The large-n path (one resample per chunk) without ties, a few resamples only.
    y, labels, scores = binary_data(5000, seed=9, decimals=None)
    rs = Resampler(5000, 4, seed=1)
    names = ["accuracy", "f1", "roc_auc", "average_precision", "log_loss"]
    fast = bootstrap_metric_values("binary", names, y, labels, scores, rs)
    assert_matches(fast, reference_values("binary", names, y, labels, scores, rs))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"task": "regression"}, ConfigError, "task='regression' is not valid"),
        ({"names": ["auc"]}, ConfigError, "Known metrics"),
        ({"labels": None}, DataError, "needs predicted labels"),
        ({"labels": np.array([0, 1, 2, 0])}, DataError, "labels contains values outside 0..1"),
        ({"scores": np.array([0.1, 1.2, 0.3, 0.4])}, DataError, "probabilities in"),
        ({"scores": np.array([0.1, np.nan, 0.3, 0.4])}, DataError, "NaN"),
        ({"y": np.array([0, 1, 1])}, DataError, "3"),
    ],
)
def test_errors_name_the_argument(kwargs, error, match):
    args = {
        "task": "binary",
        "names": ["accuracy", "roc_auc"],
        "y": np.array([0, 1, 1, 0]),
        "labels": np.array([0, 1, 0, 0]),
        "scores": np.array([0.1, 0.8, 0.3, 0.4]),
    }
    args.update(kwargs)
    with pytest.raises(error, match=match):
        bootstrap_metric_values(
            args["task"], args["names"], args["y"], args["labels"], args["scores"], Resampler(4, 5, seed=0)
        )


def test_roc_auc_ovr_needs_three_classes():
    y = np.array([0, 1, 1, 0])
    scores = np.array([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5], [0.9, 0.1]])
    with pytest.raises(ConfigError, match="at least 3 classes"):
        weighted_metric_values("multiclass", ["roc_auc_ovr"], y, None, scores, np.ones(4, dtype=int))


def test_same_seed_same_values_whatever_the_blocking():
    y, labels, scores = binary_data(60, seed=3)
    runs = [
        bootstrap_metric_values("binary", BINARY, y, labels, scores, Resampler(60, 50, seed=21, block_size=b))
        for b in (None, 1, 7)
    ]
    for run in runs[1:]:
        for name in BINARY:
            np.testing.assert_array_equal(run[name], runs[0][name])
    other = bootstrap_metric_values("binary", ["accuracy"], y, labels, None, Resampler(60, 50, seed=22))
    assert not np.array_equal(other["accuracy"], runs[0]["accuracy"])


def test_progress_bar_stays_off_a_non_terminal(capsys):
    y, labels, _ = binary_data(20, seed=1)
    bootstrap_metric_values(
        "binary", ["accuracy"], y, labels, None, Resampler(20, 30, seed=0, block_size=5), progress=True
    )
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_weights_that_would_overflow_are_refused():
    with pytest.raises(DataError, match="2\\*\\*31"):
        weighted_metric_values(
            "binary", ["roc_auc"], np.array([0, 1]), None, np.array([0.2, 0.6]), np.array([2**30, 2**30])
        )


def test_rows_standing_for_items_get_the_same_stratified_auc_resamples():
    # An entry given as rows mapped to items (shuffled, and every item twice) sees the same
    # within-class resamples as the plain entry: AUC does not change when every weight doubles.
    y, labels, scores = binary_data(30, seed=12)
    perm = np.random.default_rng(0).permutation(30)
    rows = np.concatenate([perm, perm])
    rs = Resampler(30, 40, seed=6, block_size=9)
    out = bootstrap_entries("binary", ["roc_auc", "accuracy"], y, {
        "plain": (labels, scores),
        "mapped": (labels[rows], scores[rows], rows, np.ones(60, dtype=int)),
    }, rs)
    np.testing.assert_allclose(out["mapped"]["roc_auc"], out["plain"]["roc_auc"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["mapped"]["accuracy"], out["plain"]["accuracy"], rtol=0, atol=1e-12)
