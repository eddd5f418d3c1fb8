"""A slice is scored with the whole-set machinery: its metrics are scikit-learn's on its items, and its
intervals and comparisons are those of a run on its items alone."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from evalkit.confidence import assess
from evalkit.config import BootstrapConfig, StrategyConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.slices.conditions import Condition, Slice
from evalkit.slices.scoring import score_slice
from evalkit.strategies import build_strategy

N = 160
BOOTSTRAP = BootstrapConfig(resamples=200, seed=3)


def scored(entries, evalset, registry, strategy):
    for e in entries:
        computed = compute_metrics(registry, evalset, e.predictions).values if e.predictions else {}
        e.metrics = computed | e.metrics
        e.outcome = strategy.evaluate(e.metrics, require_all=e.role == "candidate")
    return entries


def binary_run(items: np.ndarray | None = None):
    """A binary eval set with two candidates, a rule and a panel that labelled every other item; with
    ``items``, the same predictions built directly on those items alone (no slicing code involved)."""
    rng = np.random.default_rng(0)
    y = (rng.random(N) < 0.4).astype(np.int64)
    strong = np.clip(0.5 * y + 0.5 * rng.random(N), 0, 1)
    weak = np.clip(0.2 * y + 0.8 * rng.random(N), 0, 1)
    rule = (rng.random(N) < 0.5).astype(np.int64)
    panel_items = np.arange(0, N, 2)
    keep = np.arange(N) if items is None else items
    ids = np.array([str(i) for i in range(N)], dtype=object)
    evalset = EvalSet(task="binary", ids=ids[keep], y=y[keep], classes=("0", "1"), source="test")
    if items is None:
        panel = Predictions(y[panel_items], None, item_index=panel_items)
    else:
        rows = np.isin(panel_items, items)
        panel = Predictions(y[panel_items[rows]], None, item_index=np.searchsorted(items, panel_items[rows]))
    registry = metric_registry("binary")
    strategy = build_strategy(StrategyConfig(name="satisficing", optimize="precision",
                                             constraints={"recall": ">= 0.5"}), registry, "binary")
    entries = [
        Entry("strong", "candidate", "predictions", {"latency_ms": 3.0},
              predictions=Predictions((strong[keep] >= 0.5).astype(np.int64), strong[keep])),
        Entry("weak", "candidate", "predictions", {},
              predictions=Predictions((weak[keep] >= 0.5).astype(np.int64), weak[keep])),
        Entry("rule", "baseline", "rule", {}, predictions=Predictions(rule[keep], None)),
        Entry("panel", "baseline", "human", {}, predictions=panel),
        Entry("paper", "baseline", "external", {"precision": 0.7}),
    ]
    return evalset, scored(entries, evalset, registry, strategy), registry, strategy, (y, strong, rule)


@pytest.fixture(scope="module")
def sliced():
    evalset, entries, registry, strategy, data = binary_run()
    items = np.flatnonzero(np.arange(N) % 3 != 0)  # 106 items
    piece = Slice((Condition("g", "= a", items),), items)
    return score_slice(piece, entries, evalset, registry, strategy, "strong", BOOTSTRAP, 30), items, data


def test_per_slice_metrics_equal_scikit_learn_on_the_slice_items(sliced):
    record, items, (y, strong, rule) = sliced
    got = record["entries"]["strong"]["metrics"]
    labels = (strong >= 0.5).astype(int)
    assert got["precision"] == pytest.approx(skm.precision_score(y[items], labels[items]), abs=1e-12)
    assert got["recall"] == pytest.approx(skm.recall_score(y[items], labels[items]), abs=1e-12)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y[items], strong[items]), abs=1e-12)
    assert got["latency_ms"] == 3.0  # a measured cost does not depend on the items
    assert record["entries"]["rule"]["metrics"]["accuracy"] == pytest.approx(
        skm.accuracy_score(y[items], rule[items]), abs=1e-12)
    # the panel labelled every other item: scored on those of the slice, as the whole run would
    panel_items = items[items % 2 == 0]
    assert record["entries"]["panel"]["covered_items"] == len(panel_items)
    assert "paper" not in record["entries"]  # no per-item predictions, nothing to slice
    assert record["n_items"] == len(items) and record["name"] == "g = a"


def test_per_slice_intervals_and_comparisons_equal_a_run_on_the_slice_alone(sliced):
    record, items, _ = sliced
    evalset, entries, registry, strategy, _ = binary_run(items)
    alone = assess([e for e in entries if e.predictions is not None], evalset, registry, strategy, "strong",
                   BOOTSTRAP)
    assert alone is not None and record["tested"]
    for name, row in record["entries"].items():
        assert row["ci"] == alone.intervals[name]
    assert record["comparisons"] == alone.comparisons
    assert {c["b"] for c in record["comparisons"]} == {"weak", "rule", "panel"}


def test_a_slice_below_min_items_is_scored_but_never_tested():
    evalset, entries, registry, strategy, _ = binary_run()
    items = np.arange(20)
    record = score_slice(Slice((Condition("g", "= b", items),), items), entries, evalset, registry, strategy,
                         "strong", BOOTSTRAP, 30)
    assert not record["tested"] and record["comparisons"] == []
    assert "ci" not in record["entries"]["strong"]
    assert record["entries"]["strong"]["metrics"]["precision"] is not None


def test_regression_slices_score_mae_as_scikit_learn_does():
    rng = np.random.default_rng(1)
    y = rng.normal(size=80)
    pred = y + rng.normal(scale=0.5, size=80)
    evalset = EvalSet(task="regression", ids=np.array([str(i) for i in range(80)], dtype=object), y=y,
                      classes=("y",), source="test")
    registry = metric_registry("regression")
    strategy = build_strategy(StrategyConfig(name="average", metrics=["r2"]), registry, "regression")
    entries = scored([Entry("m", "candidate", "predictions", {},
                            predictions=Predictions(None, None, values=pred))], evalset, registry, strategy)
    items = np.arange(0, 80, 2)
    record = score_slice(Slice((Condition("g", "= a", items),), items), entries, evalset, registry, strategy,
                         "m", BootstrapConfig(resamples=50), 10)
    assert record["entries"]["m"]["metrics"]["mae"] == pytest.approx(
        skm.mean_absolute_error(y[items], pred[items]), abs=1e-12)
    assert record["entries"]["m"]["score"] == pytest.approx(skm.r2_score(y[items], pred[items]), abs=1e-12)
    assert record["tested"] and "score" in record["entries"]["m"]["ci"]


def test_multilabel_slices_score_as_scikit_learn_does_and_the_search_gets_each_items_share_of_wrong_labels():
    from evalkit.tasks import get_task

    rng = np.random.default_rng(2)
    y = (rng.random((60, 3)) < 0.4).astype(np.int64)
    scores = np.clip(0.3 * y + 0.7 * rng.random((60, 3)), 0, 1)
    labels = (scores >= 0.5).astype(np.int64)
    evalset = EvalSet(task="multilabel", ids=np.array([str(i) for i in range(60)], dtype=object), y=y,
                      classes=("a", "b", "c"), source="test")
    registry = metric_registry("multilabel")
    strategy = build_strategy(StrategyConfig(name="map"), registry, "multilabel")
    entries = scored([Entry("m", "candidate", "predictions", {}, predictions=Predictions(labels, scores))],
                     evalset, registry, strategy)
    items = np.arange(0, 60, 2)
    record = score_slice(Slice((Condition("g", "= a", items),), items), entries, evalset, registry, strategy,
                         "m", BootstrapConfig(resamples=50), 10)
    assert record["entries"]["m"]["metrics"]["hamming_loss"] == pytest.approx(
        skm.hamming_loss(y[items], labels[items]), abs=1e-12)
    errors = get_task("multilabel").item_errors(evalset, entries[0].predictions)
    assert errors is not None and errors.mean() == pytest.approx(skm.hamming_loss(y, labels), abs=1e-12)


def test_a_slice_is_tested_under_the_default_resamples_auto(monkeypatch):
    # auto is resolved by assess from the slice's own comparisons; the slice must reach it (it once
    # compared the text 'auto' with 0 and crashed)
    from evalkit.slices import scoring

    seen = []
    monkeypatch.setattr(scoring, "assess", lambda *args, **kwargs: seen.append(args[5]) or None)
    evalset, entries, registry, strategy, _ = binary_run()
    items = np.arange(30)
    score_slice(Slice((Condition("g", "= c", items),), items), entries, evalset, registry, strategy,
                "strong", BootstrapConfig(), 30)
    assert [b.resamples for b in seen] == ["auto"]
