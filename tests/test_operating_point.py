"""Operating points: the threshold rule, cross-fitting and the config's refusals, on small arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from evalkit.config import validate
from evalkit.errors import ConfigError, DataError
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy
from evalkit.tasks.classification.decisions import rule_for
from evalkit.tasks.classification.operating_point import (
    Condition,
    Rule,
    check_folds,
    choose_threshold,
    cross_fit,
    metrics_at,
    prediction_bound,
    resampled_cross_fit,
    stratified_folds,
    sweep,
    wilson_bound,
)

PRECISION_AT_RECALL = Rule((("precision", 1.0, False),), (Condition("recall", ">=", 0.8),))
REGISTRY = metric_registry("binary")


def _data(n: int, seed: int, separation: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(np.int64)
    y[:2] = [0, 1]  # both classes, whatever the draw
    scores = 1 / (1 + np.exp(-(rng.normal(size=n) + separation * (2 * y - 1))))
    return y, np.round(scores, 2)  # rounded: ties between scores, as real models give


@settings(max_examples=30, deadline=None)
@given(n=st.integers(8, 120), seed=st.integers(0, 10_000), target=st.sampled_from([0.5, 0.7, 0.9]))
def test_metrics_at_the_chosen_threshold_equal_scikit_learn_on_the_labels_it_makes(n, seed, target):
    y, scores = _data(n, seed)
    rule = Rule((("f1", 1.0, False),), (Condition("recall", ">=", target),))
    choice = choose_threshold(y, scores, rule)
    assert choice.threshold is not None  # the lowest score gives recall 1
    labels = (scores >= choice.threshold).astype(int)
    assert choice.metrics["precision"] == pytest.approx(precision_score(y, labels, zero_division=0))
    assert choice.metrics["recall"] == pytest.approx(recall_score(y, labels))
    assert choice.metrics["f1"] == pytest.approx(f1_score(y, labels))
    assert choice.metrics["accuracy"] == pytest.approx(accuracy_score(y, labels))
    assert choice.metrics["recall"] >= target
    # No other threshold meeting the constraint has a higher F1 (the rule optimises, not just satisfies).
    table = sweep(y, scores)
    meets = table.metric("recall") >= target
    assert choice.metrics["f1"] == pytest.approx(np.nanmax(table.metric("f1")[meets]))


def test_the_sweep_counts_equal_thresholding_each_distinct_score():
    y, scores = _data(50, 3)
    table = sweep(y, scores)
    assert len(table.thresholds) == len(np.unique(scores))
    for t, tp, fp in zip(table.thresholds, table.tp, table.fp, strict=True):
        predicted = scores >= t
        assert (tp, fp) == (np.sum(predicted & (y == 1)), np.sum(predicted & (y == 0)))


def test_the_wilson_bound_is_the_one_sided_end_of_the_two_sided_interval_at_twice_the_error():
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(37, 50, alpha=0.10, method="wilson")
    assert wilson_bound(np.array(37.0), np.array(50.0), 0.95, lower=True) == pytest.approx(low)
    assert wilson_bound(np.array(37.0), np.array(50.0), 0.95, lower=False) == pytest.approx(high)


def test_a_confident_constraint_gives_up_a_little_to_meet_the_bound_not_the_point_value():
    y, scores = _data(400, 1)
    naive = choose_threshold(y, scores, PRECISION_AT_RECALL)
    sure = choose_threshold(y, scores, Rule(PRECISION_AT_RECALL.objective, PRECISION_AT_RECALL.constraints,
                                            confidence=0.95))
    assert sure.threshold is not None and naive.threshold is not None
    assert sure.threshold < naive.threshold
    positives = int(y.sum())
    bound = wilson_bound(np.array(sure.metrics["recall"] * positives), np.array(float(positives)), 0.95,
                         lower=True)
    assert bound >= 0.8 > wilson_bound(np.array(naive.metrics["recall"] * positives),
                                       np.array(float(positives)), 0.95, lower=True)


def test_the_test_set_bound_is_wilson_s_at_the_effective_size_of_the_two_samples():
    k, n = np.array(180.0), np.array(200.0)
    # A judged set as large as the choosing one: the variance of the difference doubles, so the bound is
    # Wilson's on half the trials at the same proportion.
    assert prediction_bound(k, n, 0.95, lower=True, judged_ratio=1.0) == pytest.approx(
        wilson_bound(k / 2, n / 2, 0.95, lower=True))
    # A judged set a quarter the size: effective size 200 * 50 / 250 = 40.
    assert prediction_bound(k, n, 0.95, lower=False, judged_ratio=0.25) == pytest.approx(
        wilson_bound(np.array(36.0), np.array(40.0), 0.95, lower=False))
    # The smaller the judged set, the wider; a judged set far larger than the choosing one adds no noise.
    bounds = [float(prediction_bound(k, n, 0.95, lower=True, judged_ratio=r)) for r in (0.1, 1.0, 10.0, 1e6)]
    assert bounds == sorted(bounds)
    assert bounds[-1] == pytest.approx(float(wilson_bound(k, n, 0.95, lower=True)), abs=1e-5)


def _beta_scores(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.random(n) < 0.5).astype(np.int64)
    return y, np.where(y == 1, rng.beta(4, 2, n), rng.beta(2, 4, n))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_threshold_chosen_at_95_percent_confidence_misses_on_a_fresh_test_set_about_5_percent_of_the_time(
        seed):
    # Choose on 500 items, judge on 200 fresh ones from the same distribution, 200 times. The population
    # bound ignores the test set's own noise: it misses in about 1 - Phi(1.645 sqrt(200 / 700)) ~ 19% of
    # test sets. The test-set bound counts both samples and misses in at most about 5% (fewer here: the
    # test recall moves in steps of 1/100).
    rng = np.random.default_rng(seed)
    rule = Rule((("precision", 1.0, False),), (Condition("recall", ">=", 0.9),), confidence=0.95)
    misses = {"population": 0, "test set": 0}
    splits = 200
    for _ in range(splits):
        y_choose, s_choose = _beta_scores(500, rng)
        y_test, s_test = _beta_scores(200, rng)
        for name, judged in (("population", None), ("test set", 200.0)):
            choice = choose_threshold(y_choose, s_choose, rule, judged_items=judged)
            assert choice.threshold is not None
            misses[name] += metrics_at(y_test, s_test >= choice.threshold)["recall"] < 0.9
    assert misses["test set"] / splits <= 0.07
    assert misses["population"] / splits > 0.12


def test_no_threshold_meeting_the_constraints_is_infeasible_with_the_reason_never_a_sentinel():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.3, 0.2, 0.7, 0.6, 0.5, 0.1])
    rule = Rule((("recall", 1.0, False),),
                (Condition("precision", ">=", 0.95), Condition("recall", ">=", 0.9)))
    choice = choose_threshold(y, scores, rule)
    assert choice.threshold is None and not choice.feasible
    assert "no threshold meets precision >= 0.95, recall >= 0.9" in choice.reason
    # With a confidence and too few positives, the reason says the items, not the model, fall short.
    perfect = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    sure = choose_threshold(y, perfect, Rule((), (Condition("recall", ">=", 0.9),), confidence=0.95))
    assert sure.threshold is None
    assert "point value up to 1" in sure.reason and "more items or a lower confidence" in sure.reason


def test_under_cross_fit_no_item_is_decided_by_a_threshold_chosen_on_itself():
    y, scores = _data(200, 5)
    folds = stratified_folds(y, 4, seed=0)
    seen: list[np.ndarray] = []

    def spy(y_part, scores_part, rule, weight=None, **judged):
        seen.append(np.asarray(scores_part))
        return choose_threshold(y_part, scores_part, rule, weight, **judged)

    import evalkit.tasks.classification.operating_point as op

    original = op.choose_threshold
    op.choose_threshold = spy
    try:
        result = cross_fit(y, scores, PRECISION_AT_RECALL, folds=4, seed=0, fold_of=folds)
    finally:
        op.choose_threshold = original
    assert len(seen) == 4
    for fold, chosen_on in enumerate(seen):
        # The choosing data is exactly the other folds: this fold's items are never in it.
        assert np.array_equal(chosen_on, scores[folds != fold])
    # Each fold's decisions are its own scores against the threshold chosen without it.
    assert result.labels is not None
    for fold, threshold in enumerate(result.fold_thresholds):
        held = folds == fold
        assert np.array_equal(result.labels[held], scores[held] >= threshold)
    assert result.spread == pytest.approx(max(result.fold_thresholds) - min(result.fold_thresholds))


def test_stratified_folds_spread_each_class_evenly_and_depend_only_on_the_seed():
    y = np.array([1] * 10 + [0] * 30)
    folds = stratified_folds(y, 5, seed=3)
    assert np.bincount(folds[y == 1]).tolist() == [2] * 5
    assert np.bincount(folds[y == 0]).tolist() == [6] * 5
    assert np.array_equal(folds, stratified_folds(y, 5, seed=3))
    assert not np.array_equal(folds, stratified_folds(y, 5, seed=4))


def test_too_few_positives_per_fold_is_a_data_error_that_says_how_many_folds_fit():
    y = np.array([1] * 8 + [0] * 100)
    with pytest.raises(DataError, match=r"8 positive item\(s\) over 5 folds leave 1 per fold.*"
                                        r"set operating_point.folds to 2 or fewer"):
        check_folds(y, 5)
    with pytest.raises(DataError, match="choose_on: validation"):
        check_folds(np.array([1] * 4 + [0] * 100), 2)
    check_folds(y, 2)


def test_the_bootstrap_reselection_moves_the_threshold_and_reports_how_often_the_constraint_holds():
    y, scores = _data(120, 8)
    result = resampled_cross_fit(y, scores, PRECISION_AT_RECALL, folds=3, seed=0, resamples=30)
    assert result.resamples == 30 and 0 < result.constraints_met_share <= result.feasible_share <= 1
    low, high = result.threshold_quantiles
    assert low < high  # the choice itself varies across resamples
    assert result.metric_values["recall"].shape == (30,)


def test_weighted_counts_equal_repeating_the_items():
    y, scores = _data(60, 2)
    weight = np.random.default_rng(0).integers(0, 3, len(y))
    repeated = np.repeat(np.arange(len(y)), weight)
    expected = metrics_at(y[repeated], scores[repeated] >= 0.5)
    assert metrics_at(y, scores >= 0.5, weight) == pytest.approx(expected)
    assert choose_threshold(y, scores, PRECISION_AT_RECALL, weight).threshold == \
        choose_threshold(y[repeated], scores[repeated], PRECISION_AT_RECALL).threshold


def _strategy(**strategy):
    cfg = validate({"strategy": strategy})
    return build_strategy(cfg.strategy, REGISTRY, "binary")


def test_the_rule_follows_the_strategy_and_leaves_latency_to_it():
    rule = rule_for(_strategy(name="satisficing", optimize="precision",
                              constraints={"recall": ">= 0.95", "latency_ms": "<= 50"}), REGISTRY, 0.9)
    assert rule.objective == (("precision", 1.0, False),)
    assert rule.constraints == (Condition("recall", ">=", 0.95),) and rule.confidence == 0.9
    average = rule_for(_strategy(name="average", metrics=["precision", "roc_auc"], weights=[2, 1]),
                       REGISTRY, None)
    assert average.objective == (("precision", 2.0, False),)


@pytest.mark.parametrize(("strategy", "message"), [
    ({"name": "satisficing", "optimize": "precision", "constraints": {"roc_auc": ">= 0.9"}},
     "strategy.constraints.roc_auc: roc_auc does not depend on the threshold"),
    ({"name": "satisficing", "optimize": "precision", "constraints": {"f1": ">= 0.9"}},
     "'f1' is not a proportion of counts, so it has no confidence bound"),
    ({"name": "formula", "expression": "recall - precision"}, "needs a satisficing or average strategy"),
])
def test_rules_that_a_threshold_cannot_serve_are_refused_with_the_reason(strategy, message):
    with pytest.raises(ConfigError, match=message):
        rule_for(_strategy(**strategy), REGISTRY, 0.95)


@pytest.mark.parametrize(("config", "message"), [
    ({"operating_point": {"choose_on": "cross_fold"}}, "choose_on='cross_fold' is not valid"),
    ({"operating_point": {"folds": 1}}, "folds=1 must be an integer >= 2"),
    ({"operating_point": {"confidence": 1.0}}, r"confidence=1.0 must be in \[0.5, 1\)"),
    ({"operating_point": {"choose_on": "validation"}}, "needs operating_point.validation.path"),
    ({"operating_point": {"validation": {"path": "v.csv"}}}, "only read with choose_on: validation"),
    ({"operating_point": {"window": 3}}, "unknown config key 'operating_point.window'"),
    ({"candidates": {"m": {"predictions": "p.csv", "threshold": 1.5}}}, r"candidates.m.threshold=1.5"),
    ({"candidates": {"m": {"predictions": "p.csv", "predictions_validation": "v.csv"}}},
     "predictions_validation is only read with operating_point.choose_on: validation"),
])
def test_bad_operating_point_settings_are_refused_before_any_data_is_read(config, message):
    with pytest.raises(ConfigError, match=message):
        validate(config)


def test_the_default_is_today_s_fixed_threshold():
    point = validate({}).operating_point
    assert point.choose_on == "fixed" and point.confidence == 0.95 and point.folds == 5


def test_tasks_without_thresholds_refuse_an_operating_point():
    from evalkit.tasks import get_task

    cfg = validate({"task": "regression", "operating_point": {"choose_on": "cross_fit"}})
    with pytest.raises(ConfigError, match="operating_point.choose_on=cross_fit: operating points .* not "
                                          "to task 'regression'"):
        get_task("regression").check_operating_point(cfg, {}, None)


def test_the_scalar_metrics_equal_the_array_formulas():
    from evalkit.tasks.classification.operating_point import COUNT_METRICS, scalar_metrics

    counts = (7.0, 3.0, 2.0, 0.0)
    arrays = {name: float(fn(*(np.array(c) for c in counts))) for name, fn in COUNT_METRICS.items()}
    assert scalar_metrics(*counts) == pytest.approx(arrays)


def _entries_and_evalset(task: str):
    from evalkit.entry import Entry
    from evalkit.evalset import EvalSet
    from evalkit.predictions import Predictions

    y, scores = _data(60, 4)
    if task == "multiclass":
        scores = np.column_stack([1 - scores, scores])
    evalset = EvalSet(task=task, ids=np.arange(len(y)).astype(str).astype(object), y=y, classes=("no", "yes"),
                      source="test")
    labels = (y if task == "multiclass" else (np.asarray(scores) >= 0.5)).astype(np.int64)
    entries = [Entry("scored", "candidate", "predictions", {}, predictions=Predictions(labels, scores)),
               Entry("labelled", "baseline", "rule", {}, predictions=Predictions(y.copy(), None))]
    return entries, evalset


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_labels_only_and_multiclass_entries_keep_their_labels_and_say_so(task):
    from evalkit.metrics.registry import metric_registry as registry_of
    from evalkit.tasks.classification import decisions

    entries, evalset = _entries_and_evalset(task)
    before = [e.predictions.labels.copy() for e in entries]
    metric = "precision" if task == "binary" else "precision_macro"
    cfg = validate({"task": task, "operating_point": {"choose_on": "cross_fit", "folds": 3},
                    "strategy": {"name": "average", "metrics": [metric]}})
    strategy = build_strategy(cfg.strategy, registry_of(task), task)
    decisions.apply(entries, evalset, registry_of(task), strategy, cfg, lambda p, w: p,
                    binary=task == "binary")
    scored, labelled = entries
    assert np.array_equal(labelled.predictions.labels, before[1])
    if task == "binary":
        assert labelled.details["operating_point"]["note"] == "labels only: no operating point"
        assert len(scored.details["operating_point"]["fold_thresholds"]) == 3
    else:
        assert np.array_equal(scored.predictions.labels, before[0])
        assert "labels stay the highest-scoring class (argmax)" in scored.details["operating_point"]["note"]


def test_a_candidate_s_own_threshold_decides_its_labels_under_the_fixed_default():
    from evalkit.tasks.classification import decisions

    entries, evalset = _entries_and_evalset("binary")
    cfg = validate({"candidates": {"scored": {"predictions": "s.csv", "threshold": 0.3}}})
    strategy = build_strategy(cfg.strategy, REGISTRY, "binary")
    decisions.apply(entries, evalset, REGISTRY, strategy, cfg, lambda p, w: p, binary=True)
    scored = entries[0]
    expected = scored.predictions.scores >= 0.3
    assert np.array_equal(scored.predictions.labels, expected)
    assert scored.metrics["recall"] == pytest.approx(recall_score(evalset.y, expected))
    assert scored.details["operating_point"]["threshold"] == 0.3
    assert "operating_point" not in entries[1].details  # the fixed default records nothing


def test_under_validation_the_bootstrap_re_chooses_the_threshold_on_resampled_validation_items():
    from evalkit.entry import Entry
    from evalkit.evalset import EvalSet
    from evalkit.predictions import Predictions
    from evalkit.tasks.classification.decisions import ValidationSetup, reselect_in_bootstrap
    from evalkit.uncertainty.resampling import Resampler

    y_val, s_val = _data(150, 11)
    y, scores = _data(150, 12)
    rule = Rule((("precision", 1.0, False),), (Condition("recall", ">=", 0.8),))
    threshold = choose_threshold(y_val, s_val, rule).threshold
    labels = (scores >= threshold).astype(np.int64)
    evalset = EvalSet(task="binary", ids=np.arange(150).astype(str).astype(object), y=y,
                      classes=("no", "yes"), source="test")
    setup = ValidationSetup(rule, y_val, s_val)
    entry = Entry("scored", "candidate", "predictions", {},
                  predictions=Predictions(labels, scores, operating_point=setup))
    entry.details["operating_point"] = {"choose_on": "validation"}
    resampler = Resampler(n_items=150, resamples=200, seed=0)
    fixed = np.array([metrics_at(y, labels, resampler.weights(r))["recall"] for r in range(200)])
    values = {"scored": {"recall": fixed.copy(), "roc_auc": np.zeros(200)}}
    reselect_in_bootstrap([entry], evalset, resampler, values)
    rechosen = values["scored"]["recall"]
    # The validation set's own noise moves the threshold: the resampled recall spreads wider than the fixed
    # labels' does on the same test resamples, and the metrics a threshold does not move are left alone.
    assert np.nanstd(rechosen) > 1.1 * np.std(fixed)
    assert np.array_equal(values["scored"]["roc_auc"], np.zeros(200))
    assert "re-chosen on a resample of the validation items" in entry.details["operating_point"]["bootstrap"]


@pytest.mark.figures("thresholds")
def test_a_multiclass_operating_point_gets_its_class_threshold_curve_and_figure():
    from evalkit.entry import Entry
    from evalkit.evalset import EvalSet
    from evalkit.metrics.registry import metric_registry as registry_of
    from evalkit.plots.thresholds import threshold_figure
    from evalkit.predictions import Predictions
    from evalkit.tasks import get_task
    from evalkit.tasks.classification import decisions

    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 90)
    logits = rng.normal(size=(90, 3)) + 1.5 * np.eye(3)[y]
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    evalset = EvalSet(task="multiclass", ids=np.arange(90).astype(str).astype(object), y=y,
                      classes=("no", "yes", "maybe"), source="test")
    entries = [Entry("scored", "candidate", "predictions", {},
                     predictions=Predictions(scores.argmax(axis=1), scores)),
               Entry("labelled", "baseline", "rule", {}, predictions=Predictions(y.copy(), None))]
    cfg = validate({"task": "multiclass", "operating_point": {"choose_on": "cross_fit", "folds": 3},
                    "strategy": {"name": "satisficing", "optimize": "precision_of_yes",
                                 "constraints": {"recall_of_yes": ">= 0.8"}}})
    registry = registry_of("multiclass", config=cfg)
    strategy = build_strategy(cfg.strategy, registry, "multiclass")
    decisions.apply(entries, evalset, registry, strategy, cfg, lambda p, w: p, binary=False)
    curves = get_task("multiclass").curve_record(entries, evalset, registry=registry, max_points=200)
    curve = curves["entries"]["scored"]["threshold_curve"]
    scores = entries[0].predictions.scores[:, 1]
    for t, recall in zip(curve["threshold"], curve["recall"], strict=True):  # class "yes" against the rest
        # thresholds and values are stored to 6 decimals
        assert recall == pytest.approx(np.mean(scores[evalset.y == 1] >= t - 1e-6), abs=1e-6)
    assert "threshold_curve" not in curves["entries"]["labelled"]
    constraint = {"recall_of_yes": {"op": ">=", "threshold": 0.8}}
    record = {"best": "scored",
              "strategy": {"name": "satisficing", "optimize": "precision_of_yes", "constraints": constraint},
              "entries": [{"name": "scored", "role": "candidate",
                           "operating_point": entries[0].details["operating_point"]}]}
    figure = threshold_figure(record, curves)
    gids = {artist.get_gid() for artist in figure.axes[0].get_children()}
    assert {"curve:precision", "curve:recall", "chosen", "constraint:recall_of_yes"} <= gids
    assert "recall of yes" in [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
