"""Every registered metric equals scikit-learn's, and metrics that cannot be computed say why."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import BINARY, MULTICLASS, metric_registry
from evalkit.predictions import Predictions


def make_evalset(y: np.ndarray, n_classes: int) -> EvalSet:
    task = "binary" if n_classes == 2 else "multiclass"
    return EvalSet(task=task, ids=np.array([str(i) for i in range(len(y))], dtype=object), y=y,
                   classes=tuple(str(c) for c in range(n_classes)), source="test")


@pytest.fixture
def binary_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = np.clip(0.35 * y + 0.65 * rng.random(300), 0, 1)
    scores[:20] = 0.5  # ties at the threshold
    return y, (scores >= 0.5).astype(int), scores


BINARY_REFERENCE = {
    "accuracy": lambda y, lab, s: skm.accuracy_score(y, lab),
    "balanced_accuracy": lambda y, lab, s: skm.balanced_accuracy_score(y, lab),
    "precision": lambda y, lab, s: skm.precision_score(y, lab),
    "recall": lambda y, lab, s: skm.recall_score(y, lab),
    "f1": lambda y, lab, s: skm.f1_score(y, lab),
    "roc_auc": lambda y, lab, s: skm.roc_auc_score(y, s),
    "average_precision": lambda y, lab, s: skm.average_precision_score(y, s),
    "log_loss": lambda y, lab, s: skm.log_loss(y, s),
    "brier": lambda y, lab, s: skm.brier_score_loss(y, s),
}


def test_registry_covers_exactly_the_documented_binary_and_multiclass_metrics():
    assert set(BINARY) == set(BINARY_REFERENCE)
    assert set(MULTICLASS) == {"accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro",
                               "f1_weighted", "roc_auc_ovr", "log_loss"}


@pytest.mark.parametrize("name", sorted(BINARY_REFERENCE))
def test_binary_metric_equals_scikit_learn(name, binary_data):
    y, labels, scores = binary_data
    values = compute_metrics(BINARY, make_evalset(y, 2), Predictions(labels=labels, scores=scores)).values
    assert values[name] == pytest.approx(BINARY_REFERENCE[name](y, labels, scores), abs=1e-12)


def test_multiclass_metrics_equal_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 200)
    logits = rng.normal(size=(200, 3)) + np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = proba.argmax(axis=1)
    values = compute_metrics(MULTICLASS, make_evalset(y, 3), Predictions(labels=labels, scores=proba)).values
    expected = {
        "accuracy": skm.accuracy_score(y, labels),
        "balanced_accuracy": skm.balanced_accuracy_score(y, labels),
        "precision_macro": skm.precision_score(y, labels, average="macro"),
        "recall_macro": skm.recall_score(y, labels, average="macro"),
        "f1_macro": skm.f1_score(y, labels, average="macro"),
        "f1_weighted": skm.f1_score(y, labels, average="weighted"),
        "roc_auc_ovr": skm.roc_auc_score(y, proba, multi_class="ovr"),
        "log_loss": skm.log_loss(y, proba),
    }
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, abs=1e-12), name


def test_score_metrics_are_null_with_a_reason_when_an_entry_gives_only_labels(binary_data):
    y, labels, _ = binary_data
    result = compute_metrics(BINARY, make_evalset(y, 2), Predictions(labels=labels, scores=None))
    for name in ("roc_auc", "average_precision", "log_loss", "brier"):
        assert result.values[name] is None
        assert "needs scores" in result.notes[name]
    assert result.values["accuracy"] is not None


def test_precision_is_null_not_zero_when_nothing_is_predicted_positive():
    y = np.array([0, 1, 1, 0])
    result = compute_metrics(BINARY, make_evalset(y, 2), Predictions(labels=np.zeros(4, int), scores=None))
    assert result.values["precision"] is None
    assert "no positive" in result.notes["precision"]
    assert result.values["recall"] == 0.0


def test_weighted_rows_score_a_subset_with_sample_weights():
    y = np.array([1, 0, 1, 0])
    rows = Predictions(labels=np.array([1, 1, 0]), scores=None, item_index=np.array([0, 1, 1]),
                       weight=np.array([1.0, 0.5, 0.5]))
    values = compute_metrics(BINARY, make_evalset(y, 2), rows).values
    assert values["accuracy"] == pytest.approx(skm.accuracy_score([1, 0, 0], [1, 1, 0],
                                                                  sample_weight=[1, 0.5, 0.5]))


def test_declared_cost_metrics_carry_their_direction():
    registry = metric_registry("binary", {"energy_j": "lower", "throughput": "higher"})
    assert not registry["energy_j"].higher_is_better
    assert registry["throughput"].higher_is_better
    assert not registry["latency_ms"].higher_is_better
    with pytest.raises(ConfigError, match="higher, lower"):
        metric_registry("binary", {"energy_j": "smaller"})
    with pytest.raises(ConfigError, match="computed metric"):
        metric_registry("binary", {"accuracy": "lower"})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=2, max_size=60))
def test_bounded_metrics_stay_in_unit_interval_and_match_direction(pairs):
    y = np.array([p[0] for p in pairs])
    scores = np.array([p[1] for p in pairs])
    values = compute_metrics(BINARY, make_evalset(y, 2),
                             Predictions(labels=(scores >= 0.5).astype(int), scores=scores)).values
    for name, spec in BINARY.items():
        value = values[name]
        if value is not None and spec.bounded:
            assert 0.0 <= value <= 1.0, name
