"""Calibration: ECE against an independent item-by-item implementation, the Murphy decomposition of the
binned Brier score, and the bootstrap equal to the point values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.config import validate
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.tasks.classification.bootstrap import bootstrap_metric_values, weighted_metric_values
from evalkit.tasks.classification.calibration import (
    CALIBRATION_METRICS,
    Binning,
    parse_calibration,
    point_values,
)
from evalkit.tasks.classification.catalog import MetricSettings
from evalkit.uncertainty import Resampler

NAMES = list(CALIBRATION_METRICS)


def independent_ece(outcomes: list[float], forecasts: list[float], bins: int, binning: str) -> float:
    """ECE written from its textbook definition, one item at a time (no numpy binning).

    Width: item i is in bin k when k/B <= f_i < (k+1)/B (the last bin also takes 1.0). Mass: bin k starts
    at the forecast ranked floor(k*n/B) in increasing order, and an item equal to an edge opens that bin.
    """
    n = len(forecasts)
    ece = 0.0
    members = independent_bins(forecasts, bins, binning)
    for items in members.values():
        mean_forecast = sum(forecasts[i] for i in items) / len(items)
        frequency = sum(outcomes[i] for i in items) / len(items)
        ece += len(items) / n * abs(mean_forecast - frequency)
    return ece


def independent_bins(forecasts: list[float], bins: int, binning: str) -> dict[int, list[int]]:
    """Bin -> the items in it, by the rules in independent_ece's docstring."""
    ordered = sorted(forecasts)
    members: dict[int, list[int]] = {}
    for i, f in enumerate(forecasts):
        if binning == "width":
            k = next(k for k in range(bins) if k / bins <= f < (k + 1) / bins or k == bins - 1)
        else:
            k = sum(1 for j in range(1, bins) if ordered[(j * len(forecasts)) // bins] <= f)
        members.setdefault(k, []).append(i)
    return members


def top_label(y: list[int], rows: list[list[float]]) -> tuple[list[float], list[float]]:
    forecasts, outcomes = [], []
    for label, row in zip(y, rows, strict=True):
        best = row.index(max(row))
        forecasts.append(row[best])
        outcomes.append(1.0 if best == label else 0.0)
    return outcomes, forecasts


probabilities = st.floats(0, 1, allow_nan=False)
binary_items = st.integers(1, 50).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n), st.lists(probabilities, min_size=n, max_size=n)))
binnings = st.tuples(st.integers(1, 20), st.sampled_from(["width", "mass"]))


@settings(max_examples=40, deadline=None)
@given(binary_items, binnings)
def test_binary_ece_equals_an_independent_item_by_item_implementation(items, binning):
    y, scores = items
    bins, scheme = binning
    ours = point_values(np.array(y), np.array(scores), Binning(bins, scheme), ["ece"])["ece"]
    assert math.isclose(ours, independent_ece([float(v) for v in y], scores, bins, scheme), abs_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 2), min_size=n, max_size=n),
    st.lists(st.lists(st.integers(1, 20), min_size=3, max_size=3), min_size=n, max_size=n))), binnings)
def test_multiclass_ece_is_top_label_and_equals_the_independent_implementation(items, binning):
    y, weights = items
    rows = [[w / sum(row) for w in row] for row in weights]
    bins, scheme = binning
    ours = point_values(np.array(y), np.array(rows), Binning(bins, scheme), ["ece"])["ece"]
    assert math.isclose(ours, independent_ece(*top_label(y, rows), bins, scheme), abs_tol=1e-12)


@settings(max_examples=40, deadline=None)
@given(binary_items, binnings)
def test_reliability_minus_resolution_plus_uncertainty_is_the_brier_score_of_binned_forecasts(items, binning):
    """Murphy (1973): REL - RES + UNC = mean over items of (mean forecast of the item's bin - outcome)^2."""
    y, scores = np.array(items[0]), np.array(items[1])
    bins, scheme = binning
    v = point_values(y, scores, Binning(bins, scheme), NAMES)
    outcomes, forecasts = [float(o) for o in y], list(scores)
    # The binned forecasts, from the independent binning: each item gets its bin's mean forecast.
    members = independent_bins(forecasts, bins, scheme)
    binned_brier = sum(
        (sum(forecasts[j] for j in items) / len(items) - outcomes[i]) ** 2
        for items in members.values() for i in items) / len(y)
    identity = v["brier_reliability"] - v["brier_resolution"] + v["brier_uncertainty"]
    assert math.isclose(identity, binned_brier, abs_tol=1e-12)
    base_rate = sum(outcomes) / len(y)
    assert math.isclose(v["brier_uncertainty"], base_rate * (1 - base_rate), abs_tol=1e-15)
    assert 0 <= v["brier_resolution"] <= v["brier_uncertainty"] + 1e-15
    assert 0 <= v["brier_reliability"] <= v["ece"] + 1e-15  # squares of gaps within [0, 1]


def test_one_bin_per_distinct_forecast_makes_the_binned_brier_the_brier_score():
    y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    scores = np.array([0.05, 0.95, 0.45, 0.45, 0.75, 0.25, 0.95, 0.05])  # one per width-bin of 10
    v = point_values(y, scores, Binning(10), NAMES)
    brier = float(np.mean((scores - y) ** 2))
    assert v["brier_reliability"] - v["brier_resolution"] + v["brier_uncertainty"] == pytest.approx(brier)


def test_a_perfectly_calibrated_forecast_has_no_calibration_error():
    y = np.array([1, 0, 1, 0, 1, 1, 1, 1])
    scores = np.array([0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0])
    v = point_values(y, scores, Binning(10), NAMES)
    assert v["ece"] == 0.0 and v["brier_reliability"] == 0.0


def evalset_of(y: np.ndarray, k: int) -> EvalSet:
    return EvalSet(task="binary" if k == 2 else "multiclass", ids=np.array([str(i) for i in range(len(y))],
                   dtype=object), y=y, classes=tuple("abc"[:k]), source="test")


@pytest.mark.parametrize(("k", "scheme"), [(2, "width"), (2, "mass"), (3, "width"), (3, "mass")])
def test_bootstrap_values_on_the_identity_resample_equal_the_point_values(k, scheme):
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 60)
    scores = rng.dirichlet(np.ones(k), 60) if k > 2 else rng.random(60)
    labels = (scores >= 0.5).astype(int) if k == 2 else scores.argmax(axis=1)
    cfg = validate({"task": "binary" if k == 2 else "multiclass",
                    "calibration": {"bins": 7, "binning": scheme},
                    "costs": {"matrix": (np.ones((k, k)) - np.eye(k)).tolist()}})
    registry = metric_registry(cfg.task, config=cfg)
    evalset = evalset_of(y, k)
    point = compute_metrics(registry, evalset, Predictions(labels=labels, scores=scores)).values
    own = MetricSettings(costs=registry["expected_cost"].costs, binning=registry["ece"].binning)
    names = [*NAMES, "expected_cost"]
    ones = weighted_metric_values(cfg.task, names, y, labels, scores, np.ones(60, dtype=int), settings=own)
    for name in names:
        assert ones[name][0] == pytest.approx(point[name], abs=1e-12), name
    assert point["expected_cost"] == pytest.approx(1 - np.mean(labels == y))  # 0/1 costs: the error rate


def test_width_bins_bootstrap_equals_recomputing_on_each_resampled_index_set():
    rng = np.random.default_rng(5)
    y, scores = rng.integers(0, 2, 40), np.round(rng.random(40), 2)
    binning = Binning(5)
    rs = Resampler(40, 25, seed=2)
    values = bootstrap_metric_values("binary", NAMES, y, None, scores, rs,
                                     settings=MetricSettings(binning=binning))
    for r in range(rs.resamples):
        idx = rs.indices(r)
        expected = point_values(y[idx], scores[idx], binning, NAMES)
        for name in NAMES:
            assert values[name][r] == pytest.approx(expected[name], abs=1e-12), (name, r)


def test_a_weighted_pseudo_item_counts_as_often_as_its_weight():
    y, scores = np.array([1, 0, 1]), np.array([0.9, 0.2, 0.4])
    weighted = point_values(y, scores, Binning(4), NAMES, sample_weight=np.array([2.0, 1.0, 1.0]))
    repeated = point_values(np.array([1, 1, 0, 1]), np.array([0.9, 0.9, 0.2, 0.4]), Binning(4), NAMES)
    assert weighted == pytest.approx(repeated)


def test_labels_only_entries_have_no_calibration_metrics_and_say_why():
    cfg = validate({"task": "binary", "calibration": {}})
    registry = metric_registry("binary", config=cfg)
    values = compute_metrics(registry, evalset_of(np.array([0, 1, 1]), 2),
                             Predictions(labels=np.array([0, 1, 0]), scores=None))
    assert values.values["ece"] is None
    assert values.notes["ece"] == "needs scores; this entry gives labels only"
    assert registry["ece"].parameters == {"bins": 15, "binning": "width"}
    assert not registry["ece"].higher_is_better and registry["brier_resolution"].higher_is_better


def test_without_calibration_or_costs_the_metrics_do_not_exist():
    registry = metric_registry("binary", config=validate({"task": "binary"}))
    assert not {"ece", "expected_cost", *NAMES} & set(registry)


@pytest.mark.parametrize(("raw", "message"), [
    ({"bins": 0}, r"calibration.bins: 0 is not a whole number from 1 to 1000"),
    ({"bins": 2.5}, r"calibration.bins: 2.5 is not a whole number"),
    ({"bins": True}, r"calibration.bins: True is not a whole number"),
    ({"binning": "quantile"}, r"calibration.binning: 'quantile' is not one of: width, mass"),
    ({"bin": 10}, r"calibration.bin: unknown key; valid keys: bins, binning"),
    (15, r"calibration: 15 is not a mapping"),
])
def test_impossible_binnings_are_refused_naming_the_field(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_calibration(raw)
