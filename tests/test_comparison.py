"""Ranking, the best candidate, the lower bound and the margin, in both score directions."""

from __future__ import annotations

import pytest

from evalkit.comparison import compare, rank
from evalkit.config import StrategyConfig
from evalkit.entry import Entry
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy

REGISTRY = metric_registry("binary")


def entries_for(strategy, rows):
    entries = []
    for name, role, metrics in rows:
        entry = Entry(name=name, role=role, kind="estimator" if role == "candidate" else "external",
                      metrics=metrics)
        entry.outcome = strategy.evaluate(metrics, require_all=role == "candidate")
        entries.append(entry)
    return entries


AVERAGE = build_strategy(StrategyConfig(name="average", metrics=["accuracy"]), REGISTRY, "binary")
SATISFICING = build_strategy(StrategyConfig(name="satisficing", optimize="precision",
                                            constraints={"recall": ">= 0.9"}), REGISTRY, "binary")
FASTEST = build_strategy(StrategyConfig(name="satisficing", optimize="latency_ms",
                                        constraints={"accuracy": ">= 0.8"}), REGISTRY, "binary")


def test_best_candidate_margin_and_strongest_baseline():
    result = compare(entries_for(AVERAGE, [
        ("a", "candidate", {"accuracy": 0.91}), ("b", "candidate", {"accuracy": 0.88}),
        ("rule", "baseline", {"accuracy": 0.85}), ("dummy", "baseline", {"accuracy": 0.6}),
    ]), AVERAGE)
    assert result.best == "a" and result.strongest_baseline == "rule"
    assert result.margin == pytest.approx(0.06)
    assert result.beats_all_baselines is True
    assert result.ranking == ("a", "b", "rule", "dummy")


def test_exact_ties_are_broken_by_name():
    result = compare(entries_for(AVERAGE, [
        ("zeta", "candidate", {"accuracy": 0.9}), ("alpha", "candidate", {"accuracy": 0.9}),
    ]), AVERAGE)
    assert result.best == "alpha" and result.ranking == ("alpha", "zeta")


def test_infeasible_candidates_rank_below_feasible_ones_whatever_their_score():
    result = compare(entries_for(SATISFICING, [
        ("sharp", "candidate", {"precision": 0.99, "recall": 0.5}),
        ("safe", "candidate", {"precision": 0.9, "recall": 0.95}),
    ]), SATISFICING)
    assert result.best == "safe" and result.ranking == ("safe", "sharp")


def test_no_feasible_candidate_means_no_best_and_a_plain_verdict():
    result = compare(entries_for(SATISFICING, [
        ("a", "candidate", {"precision": 0.99, "recall": 0.5}),
        ("b", "baseline", {"precision": 0.8, "recall": 0.95}),
    ]), SATISFICING)
    assert result.best is None and result.margin is None
    assert "no candidate satisfies every constraint" in result.verdict


def test_lower_bound_prefers_feasible_baselines():
    result = compare(entries_for(SATISFICING, [
        ("a", "candidate", {"precision": 0.9, "recall": 0.95}),
        ("sharp_rule", "baseline", {"precision": 0.99, "recall": 0.5}),
        ("requirement", "baseline", {"precision": 0.85, "recall": 0.9}),
    ]), SATISFICING)
    assert result.strongest_baseline == "requirement"
    assert result.margin == pytest.approx(0.05)
    assert result.beats_all_baselines is False
    assert "does NOT beat sharp_rule" in result.verdict


def test_margin_is_positive_when_better_for_a_lower_is_better_score():
    result = compare(entries_for(FASTEST, [
        ("fast", "candidate", {"latency_ms": 10.0, "accuracy": 0.85}),
        ("slow", "candidate", {"latency_ms": 30.0, "accuracy": 0.95}),
        ("reference", "baseline", {"latency_ms": 25.0, "accuracy": 0.9}),
    ]), FASTEST)
    assert result.best == "fast" and result.margin == pytest.approx(15.0)


def test_entries_without_a_score_rank_last_and_are_named_in_the_notes():
    entries = entries_for(AVERAGE, [("a", "candidate", {"accuracy": 0.7}), ("b", "candidate", {})])
    assert [e.name for e in rank(entries, True)] == ["a", "b"]
    assert any("b" in note for note in compare(entries, AVERAGE).notes)
