"""Confidence in a run: paired intervals for every entry, and whether the best candidate's lead is real."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn import metrics as skm

from evalkit.comparison import compare
from evalkit.confidence import assess, significance_summary
from evalkit.config import BootstrapConfig, StrategyConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.strategies import build_strategy
from evalkit.uncertainty import Resampler
from evalkit.uncertainty.resampling import strata_of

REGISTRY = metric_registry("binary")
N = 120


def evalset_of(y: np.ndarray) -> EvalSet:
    return EvalSet(task="binary", ids=np.array([str(i) for i in range(len(y))], dtype=object), y=y,
                   classes=("0", "1"), source="test")


def entry(name: str, role: str, evalset: EvalSet, predictions: Predictions | None,
          metrics: dict | None = None) -> Entry:
    values = compute_metrics(REGISTRY, evalset, predictions).values if predictions else {}
    return Entry(name=name, role=role, kind="predictions" if role == "candidate" else "rule",
                 metrics=values | (metrics or {}), predictions=predictions)


@pytest.fixture
def run():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * (N // 2))
    evalset = evalset_of(y)
    strong = np.clip(0.55 * y + 0.45 * rng.random(N), 0, 1)
    weak = np.clip(0.15 * y + 0.85 * rng.random(N), 0, 1)
    entries = [
        entry("strong", "candidate", evalset, Predictions((strong >= 0.5).astype(int), strong)),
        entry("weak", "candidate", evalset, Predictions((weak >= 0.5).astype(int), weak)),
        entry("paper", "baseline", evalset, None, {"accuracy": 0.7}),
        # A panel that labelled only the first half of the items, all correctly.
        entry("panel", "baseline", evalset, Predictions(y[: N // 2].copy(), None,
                                                         item_index=np.arange(N // 2))),
    ]
    strategy = build_strategy(StrategyConfig(name="average", metrics=["accuracy"]), REGISTRY, "binary")
    for e in entries:
        e.outcome = strategy.evaluate(e.metrics, require_all=e.role == "candidate")
    return evalset, entries, strategy


def test_intervals_contain_the_estimate_and_come_from_the_same_resamples_as_scikit_learn(run):
    evalset, entries, strategy = run
    result = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=300, seed=3))
    strong = entries[0]
    for metric in ("accuracy", "roc_auc", "f1", "brier"):
        lo, hi = result.intervals["strong"][metric]
        assert lo <= strong.metrics[metric] <= hi, metric
    # The percentile interval equals the one from scikit-learn on the same resampled indices (for
    # ROC AUC, the resample drawn within each true class). strong separates the classes perfectly, so
    # its bootstrap cannot vary and it gets a score interval instead; weak's is a percentile one.
    assert result.interval_methods["strong"]["roc_auc"] == "auc_score"
    assert result.intervals["strong"]["roc_auc"][0] < 1.0
    resampler = Resampler(N, 300, 3, "multinomial")
    scores = entries[1].predictions.scores
    strata = strata_of(evalset.y)
    naive = [skm.roc_auc_score(evalset.y[resampler.stratified_indices(r, strata)],
                               scores[resampler.stratified_indices(r, strata)]) for r in range(300)]
    assert result.intervals["weak"]["roc_auc"] == pytest.approx(
        list(np.quantile(naive, [0.025, 0.975])), abs=1e-9)


def test_entries_without_per_item_data_get_no_interval_and_a_note(run):
    evalset, entries, strategy = run
    result = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=100))
    assert "paper" not in result.intervals
    assert any("paper" in note for note in result.notes)


def test_a_perfect_score_gets_a_wilson_interval_of_non_zero_width(run):
    evalset, entries, strategy = run
    result = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=100))
    lo, hi = result.intervals["panel"]["accuracy"]
    assert hi == 1.0 and lo < 1.0
    assert result.interval_methods["panel"]["accuracy"] == "wilson"


def test_comparisons_are_holm_adjusted_and_use_mcnemar_for_accuracy(run):
    evalset, entries, strategy = run
    result = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=400))
    rows = {(c["b"], c["metric"]): c for c in result.comparisons}
    # The score is an average of accuracy alone: one quantity, tested once (as the score) in Holm.
    assert ("weak", "accuracy") not in rows
    weak_accuracy = rows[("weak", "score")]
    a, b = entries[0].predictions.labels == evalset.y, entries[1].predictions.labels == evalset.y
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(b & ~a))
    assert weak_accuracy["test"] == "exact McNemar"
    assert weak_accuracy["p_value"] == pytest.approx(binomtest(only_a, only_a + only_b, 0.5).pvalue)
    p = np.array([c["p_value"] for c in result.comparisons])
    adjusted = np.array([c["p_adjusted"] for c in result.comparisons])
    assert np.all(adjusted >= p - 1e-12) and np.all(adjusted <= 1)
    assert weak_accuracy["verdict"] == "better" and weak_accuracy["diff"] > 0


def test_a_partial_panel_is_compared_on_the_items_it_labelled(run):
    evalset, entries, strategy = run
    result = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=200))
    row = next(c for c in result.comparisons if c["b"] == "panel" and c["metric"] == "score")
    assert row["items"] == N // 2
    half = entries[0].predictions.labels[: N // 2] == evalset.y[: N // 2]
    assert row["diff"] == pytest.approx(half.mean() - 1.0)


def test_the_same_seed_gives_the_same_numbers_and_zero_resamples_switch_it_off(run):
    evalset, entries, strategy = run
    first = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=150, seed=9))
    again = assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=150, seed=9))
    assert first.intervals == again.intervals and first.comparisons == again.comparisons
    assert assess(entries, evalset, REGISTRY, strategy, "strong", BootstrapConfig(resamples=0)) is None


def test_fragile_feasibility_is_the_share_of_resamples_meeting_every_constraint(run):
    evalset, entries, _ = run
    strategy = build_strategy(StrategyConfig(name="satisficing", optimize="precision",
                                             constraints={"recall": f">= {entries[1].metrics['recall']}"}),
                              REGISTRY, "binary")
    for e in entries:
        e.outcome = strategy.evaluate(e.metrics, require_all=e.role == "candidate")
    best = compare(entries, strategy).best
    result = assess(entries, evalset, REGISTRY, strategy, best, BootstrapConfig(resamples=300))
    # Recall sits exactly on its threshold, so about half of the resamples fall below it.
    assert 0 < entries[1].metrics["recall"] < 1
    assert 0.2 < result.feasible_share["weak"] < 0.8


def test_summary_names_who_the_best_is_and_is_not_distinguishable_from():
    rows = [{"a": "m", "b": "x", "metric": "score", "verdict": "better"},
            {"a": "m", "b": "y", "metric": "score", "verdict": "not distinguishable"},
            {"a": "m", "b": "y", "metric": "recall", "verdict": "worse"}]
    assert significance_summary(rows, 0.95) == ("Significance (95%, paired bootstrap, Holm-adjusted): m is "
                                                "distinguishably better than x; not distinguishable from y.")


def test_summary_warns_when_too_few_resamples_make_every_bootstrap_test_fail_after_holm():
    rows = [{"a": "m", "b": f"x{i}", "metric": "score", "verdict": "not distinguishable",
             "test": "paired bootstrap"} for i in range(10)]
    # 100 resamples: the smallest p is 2/101 ≈ 0.0198, times 10 comparisons under Holm ≈ 0.198 > 0.05
    few = significance_summary(rows, 0.95, 100)
    assert "Caution: with 100 resamples" in few
    assert "set bootstrap.resamples=auto (1000 here) or at least 399" in few
    # 399 resamples: 10 * 2/400 is below 0.05 in the floating point the tests compare in, so a real
    # difference can show
    assert "Caution" not in significance_summary(rows, 0.95, 399)
    mcnemar_only = [dict(r, test="exact McNemar") for r in rows]
    assert "Caution" not in significance_summary(mcnemar_only, 0.95, 100)


def test_multilabel_map_intervals_match_map_on_resampled_items():
    from evalkit.metrics import multilabel as ml

    rng = np.random.default_rng(4)
    Y = (rng.random((80, 4)) < 0.3).astype(int)
    S = np.clip(0.5 * Y + 0.6 * rng.random((80, 4)), 0, 1)
    evalset = EvalSet(task="multilabel", ids=np.array([str(i) for i in range(80)], dtype=object), y=Y,
                      classes=("a", "b", "c", "d"), source="test")
    registry = metric_registry("multilabel")
    strategy = build_strategy(StrategyConfig(name="map"), registry, "multilabel")
    model = Entry(name="m", role="candidate", kind="predictions",
                  metrics=compute_metrics(registry, evalset, Predictions((S >= 0.5).astype(int), S)).values,
                  predictions=Predictions((S >= 0.5).astype(int), S))
    model.outcome = strategy.evaluate(model.metrics)
    result = assess([model], evalset, registry, strategy, "m", BootstrapConfig(resamples=200, seed=1))
    resampler = Resampler(80, 200, 1, "multinomial")
    naive = [ml.map(Y[resampler.indices(r)], S[resampler.indices(r)]) for r in range(200)]
    assert result.intervals["m"]["map"] == pytest.approx(list(np.nanquantile(naive, [0.025, 0.975])),
                                                         abs=1e-12)
