"""Operating points chosen by the cost of errors: the threshold that minimises expected cost, which rule
applies when, a constraint on the cost, and one run through the CLI (per-item costs, cross-fitting)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.config import validate
from evalkit.errors import ConfigError
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy
from evalkit.tasks.classification.catalog import MetricSettings
from evalkit.tasks.classification.decisions import BINARY_TARGET, Target, describe_rule, rule_for
from evalkit.tasks.classification.error_costs import item_costs, parse_costs
from evalkit.tasks.classification.operating_point import (
    EXPECTED_COST,
    Condition,
    ItemCosts,
    Rule,
    choose_threshold,
    cost_bound,
    cross_fit,
    sweep,
)
from tests.conftest import run_cli
from tests.experiments import write_experiment

MINIMISE_COST = Rule(((EXPECTED_COST, 1.0, False),), (), higher_is_better=False)


def _direct_costs(costs: ItemCosts, scores: np.ndarray) -> dict[float, float]:
    """Mean cost at every distinct score as threshold, item by item: the brute-force reference."""
    return {float(t): float(costs.of(scores >= t).mean()) for t in np.unique(scores)}


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(2, 25), column=st.booleans())
def test_the_chosen_threshold_has_the_lowest_directly_computed_expected_cost(data, n, column):
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    # Scores on a coarse grid, so ties between items (and between thresholds' costs) happen.
    scores = np.array(data.draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))) / 10
    fp = data.draw(st.sampled_from([0.0, 1.0, 2.5]))
    amounts = np.array(data.draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)), dtype=float)
    fn: object = {"column": "amount"} if column else data.draw(st.sampled_from([0.0, 1.0, 5.0]))
    parsed = parse_costs({"false_positive": fp, "false_negative": fn}, binary=True)
    settings_ = MetricSettings(costs=parsed, amounts={"amount": amounts})
    costs = BINARY_TARGET.item_costs(settings_, y, scores)

    choice = choose_threshold(y, scores, MINIMISE_COST, costs=costs)

    direct = _direct_costs(costs, scores)
    best = min(direct.values())
    assert choice.threshold is not None
    assert direct[choice.threshold] == pytest.approx(best)
    assert choice.metrics[EXPECTED_COST] == pytest.approx(best)
    # ... and the run's own expected_cost of those labels (error_costs.item_costs) is that number.
    labels = (scores >= choice.threshold).astype(np.int64)
    assert item_costs(parsed, y, labels, {"amount": amounts}).mean() == pytest.approx(best)
    # Ties between equally cheap thresholds go to the one nearest 0.5, as for every other rule.
    tied = [t for t, c in direct.items() if c <= best + 1e-12]
    assert abs(choice.threshold - 0.5) == min(abs(t - 0.5) for t in tied)


def test_with_false_negatives_five_times_dearer_the_threshold_is_near_the_bayes_optimal_one_sixth():
    rng = np.random.default_rng(0)
    scores = rng.random(100_000)
    y = (rng.random(len(scores)) < scores).astype(np.int64)  # calibrated: P(y = 1 | score) = score
    parsed = parse_costs({"false_positive": 1, "false_negative": 5}, binary=True)
    costs = BINARY_TARGET.item_costs(MetricSettings(costs=parsed), y, scores)
    choice = choose_threshold(y, scores, MINIMISE_COST, costs=costs)
    # c_fp / (c_fp + c_fn): predict positive when 5 p > 1 - p.
    assert choice.threshold == pytest.approx(1 / 6, abs=0.02)
    # Unit costs are fp * c_fp + fn * c_fn per item: the sweep gives that at every threshold.
    table = sweep(y, scores, costs=costs)
    assert np.allclose(table.metric(EXPECTED_COST), (table.fp * 1 + table.fn * 5) / len(y))


def test_a_multiclass_target_prices_a_miss_by_the_class_the_item_then_gets():
    # Class 1 against the rest; the rest is the higher-scoring of classes 0 and 2.
    scores = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.7, 0.1], [0.6, 0.1, 0.3]])
    y = np.array([2, 1, 1, 0])
    matrix = parse_costs({"matrix": [[0, 1, 2], [10, 0, 20], [3, 4, 0]]}, binary=False)
    target = Target(1, "b")
    costs = target.item_costs(MetricSettings(costs=matrix), y, scores)
    assert costs.if_positive.tolist() == [4.0, 0.0, 0.0, 1.0]
    # A missed class-1 item costs the cell of the class it then gets: item 1 goes to class 2 (20), item 2
    # to class 0 (10).
    assert costs.if_negative.tolist() == [3.0, 20.0, 10.0, 0.0]
    choice = choose_threshold(target.truth(y), target.scores(scores), MINIMISE_COST, costs=costs)
    # 0.7: 3 + 20 + 0 + 0; 0.3: 4 + 0 + 0 + 0; 0.1: 4 + 0 + 0 + 1 (per 4 items).
    assert choice.threshold == 0.3 and choice.metrics[EXPECTED_COST] == pytest.approx(1.0)


def test_a_constraint_on_expected_cost_is_honoured_at_its_point_value_or_its_normal_bound():
    rng = np.random.default_rng(3)
    scores = np.round(rng.random(400), 3)
    y = (rng.random(400) < scores).astype(np.int64)
    costs = BINARY_TARGET.item_costs(
        MetricSettings(costs=parse_costs({"false_positive": 1, "false_negative": 5}, binary=True)), y, scores)
    recall_under_cost = (("recall", 1.0, False),), (Condition(EXPECTED_COST, "<=", 0.4),)
    point = choose_threshold(y, scores, Rule(*recall_under_cost), costs=costs)
    sure = choose_threshold(y, scores, Rule(*recall_under_cost, confidence=0.95), costs=costs)
    direct = _direct_costs(costs, scores)
    assert point.threshold is not None and sure.threshold is not None
    assert direct[point.threshold] <= 0.4 and direct[sure.threshold] <= 0.4
    # The bound costs recall: the confident choice keeps a margin below 0.4, the point choice none.
    assert sure.metrics["recall"] < point.metrics["recall"]
    table = sweep(y, scores, costs=costs)
    at = int(np.flatnonzero(table.thresholds == sure.threshold)[0])
    item = costs.of(scores >= sure.threshold)
    assert cost_bound(table, 0.95, upper=True)[at] == pytest.approx(
        item.mean() + 1.6448536 * item.std() / np.sqrt(len(item)), rel=1e-6)
    assert cost_bound(table, 0.95, upper=True)[at] <= 0.4
    # An unreachable cost is infeasible with the reason, not a sentinel threshold.
    none = choose_threshold(y, scores, Rule((), (Condition(EXPECTED_COST, "<=", 0.0),)), costs=costs)
    assert none.threshold is None and "expected_cost reaches at least" in none.reason


def test_cross_fitting_chooses_each_fold_on_the_other_folds_own_costs():
    # The per-item costs make fold 0's items the only expensive misses: the other folds cannot see it.
    y = np.array([1, 1, 0, 0] * 6)
    scores = np.tile([0.2, 0.7, 0.4, 0.1], 6)
    fold_of = np.repeat([0, 1, 2], 8)
    amount = np.where(fold_of == 0, 100.0, 0.5)
    costs = ItemCosts(np.where(y == 0, 1.0, 0.0), np.where(y == 1, amount, 0.0))
    result = cross_fit(y, scores, MINIMISE_COST, folds=3, seed=0, fold_of=fold_of, costs=costs)
    # Folds 1 and 2 are chosen with fold 0 inside (catching every positive pays); fold 0 without it.
    assert result.fold_thresholds == (0.7, 0.2, 0.2)


def _registry(costs: dict | None) -> dict:
    return metric_registry("binary", config=validate({"costs": costs} if costs else {}))


def _rule(registry: dict, confidence: float | None = None, **strategy) -> Rule:
    cfg = validate({"strategy": strategy})
    return rule_for(build_strategy(cfg.strategy, registry, "binary"), registry, confidence)


COSTS = {"false_positive": 1, "false_negative": 5}


def test_which_rule_applies_when_costs_are_set():
    registry = _registry(COSTS)
    # 1. The objective is the cost: minimised among the thresholds meeting the constraints.
    rule = _rule(registry, name="satisficing", optimize="expected_cost", constraints={"recall": ">= 0.9"})
    assert describe_rule(rule) == "minimise expected_cost subject to recall >= 0.9" and rule.reason is None
    # 2. An objective that no threshold moves, no threshold constraint: the cost decides, and says so.
    rule = _rule(registry, name="satisficing", optimize="roc_auc", constraints={"latency_ms": "<= 50"})
    assert describe_rule(rule) == "minimise expected_cost"
    assert "costs are set and no constraint is on a threshold metric" in rule.reason
    assert "no threshold metric" in rule.reason
    # ... also when the objective is a threshold metric (the issue: with costs and no constraints the
    # operating point minimises expected cost), and for a formula, which has no constraints.
    assert "precision" in _rule(registry, name="satisficing", optimize="precision").reason
    assert describe_rule(_rule(registry, name="formula", expression="recall - expected_cost")) == \
        "minimise expected_cost"
    # 3. A threshold constraint keeps the strategy's own objective; a cost constraint is one of them.
    rule = _rule(registry, 0.95, name="satisficing", optimize="precision",
                 constraints={"expected_cost": "<= 0.3"})
    assert describe_rule(rule) == "maximise precision subject to expected_cost <= 0.3"
    assert rule.confidence == 0.95  # a cost constraint has a (normal) bound, so a confidence is accepted
    # Without costs nothing changes: a formula is still refused, an unmoved objective still ties.
    with pytest.raises(ConfigError, match="needs a satisficing or average strategy"):
        _rule(_registry(None), name="formula", expression="recall - precision")
    assert _rule(_registry(None), name="satisficing", optimize="roc_auc").objective == ()


# --- one run through the CLI -------------------------------------------------------------------------

N = 150


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A cross-fitted run whose strategy ranks by roc_auc (no threshold) with per-item false-negative
    costs: the operating point minimises expected cost (rule 2). No figures (most of a run's time)."""
    rng = np.random.default_rng(1)
    p = rng.beta(2, 2, N)
    y = (rng.random(N) < p).astype(int)
    files = {"truth.csv": pd.DataFrame({"id": np.arange(N), "label": y,
                                        "amount": np.round(rng.gamma(2.0, 3.0, N), 2)}),
             "model.csv": pd.DataFrame({"id": np.arange(N), "score": np.round(p, 3)})}
    cfg = {"task": "binary", "data": {"path": "truth.csv", "features": []},
           "candidates": {"model": {"predictions": "model.csv"}},
           "baselines": {"prior": {"kind": "simple_ml", "estimator": {
               "_target_": "sklearn.dummy.DummyClassifier", "strategy": "prior"}}},
           "strategy": {"name": "satisficing", "optimize": "roc_auc", "constraints": {}},
           "costs": {"false_positive": 1, "false_negative": {"column": "amount"}},
           "operating_point": {"choose_on": "cross_fit", "folds": 3},
           "bootstrap": {"resamples": 60}}
    root = write_experiment(tmp_path_factory.mktemp("opcost"), cfg, files)
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp",
                     f"hydra.run.dir={root / 'out'}", cwd=root)
    assert result.code == 0, result.stderr
    return root, json.loads((root / "out" / "metrics.json").read_text())


def test_a_run_with_costs_and_no_threshold_constraint_ships_the_cheapest_threshold_and_says_why(run):
    root, record = run
    model = next(e for e in record["entries"] if e["name"] == "model")
    point = model["operating_point"]
    assert point["rule"] == "minimise expected_cost"
    assert "roc_auc" not in point["rule"] and "no threshold metric" in point["rule_reason"]
    truth = pd.read_csv(root / "truth.csv")
    scores = pd.read_csv(root / "model.csv")["score"].to_numpy()
    y, amount = truth["label"].to_numpy(), truth["amount"].to_numpy()
    costs = ItemCosts(np.where(y == 0, 1.0, 0.0), np.where(y == 1, amount, 0.0))
    direct = _direct_costs(costs, scores)
    assert direct[point["threshold"]] == pytest.approx(min(direct.values()))
    assert point["curve_point"][EXPECTED_COST] == pytest.approx(min(direct.values()))
    # The entry is judged on its pooled held-out decisions; metrics.json's cost is theirs.
    assert model["metrics"][EXPECTED_COST] == pytest.approx(point["metrics_at_point"][EXPECTED_COST])
    assert model["metrics"][EXPECTED_COST] >= min(direct.values())
    # The bootstrap re-chose the threshold for the cost too, so its interval carries that uncertainty.
    assert "expected_cost" in point["bootstrap"]
    low, high = model["ci"][EXPECTED_COST]
    assert low <= model["metrics"][EXPECTED_COST] <= high
    report = (root / "out" / "report.md").read_text()
    assert "The threshold rule: minimise expected_cost (costs are set" in report
    assert "one-sided 95% bound" not in report  # nothing was constrained, so no bound is claimed


@pytest.mark.figures("thresholds")
def test_the_threshold_figure_draws_the_expected_cost_at_every_threshold_on_its_own_axis(run):
    from evalkit.plots.thresholds import threshold_figure

    root, record = run
    curves = json.loads((root / "out" / "curves.json").read_text())
    curve = curves["entries"]["model"]["threshold_curve"]
    truth = pd.read_csv(root / "truth.csv")
    scores = pd.read_csv(root / "model.csv")["score"].to_numpy()
    y, amount = truth["label"].to_numpy(), truth["amount"].to_numpy()
    direct = _direct_costs(ItemCosts(np.where(y == 0, 1.0, 0.0), np.where(y == 1, amount, 0.0)), scores)
    for threshold, cost in zip(curve["threshold"], curve[EXPECTED_COST], strict=True):
        assert cost == pytest.approx(direct[threshold], abs=1e-6)  # stored to 6 decimals
    model = next(e for e in record["entries"] if e["name"] == "model")
    assert model["operating_point"]["rule_constraints"] == []
    figure = threshold_figure(record, curves)
    cost_axis = figure.axes[1]
    assert any(line.get_gid() == f"curve:{EXPECTED_COST}" for line in cost_axis.get_lines())
    assert "constraints met" not in figure.axes[0].get_title()  # nothing was constrained
    assert "rule: minimise expected_cost" in figure.axes[0].get_title()
