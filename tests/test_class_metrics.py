"""Multiclass metrics of one named class (recall_of_<class>) and the one-vs-rest operating point on them."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, precision_score, recall_score

from evalkit.config import validate
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import metric_registry
from evalkit.predictions import Predictions
from evalkit.strategies import build_strategy
from evalkit.tasks.classification import MULTICLASS, decisions
from evalkit.tasks.classification.bootstrap import weighted_metric_values
from evalkit.tasks.classification.class_metrics import one_vs_rest_labels, parse
from evalkit.tasks.classification.configured import metric_settings
from evalkit.tasks.classification.operating_point import Condition, Rule, choose_threshold

CLASSES = ("setosa", "versicolor", "virginica", "other")


def _multiclass(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, np.round(scores, 3) / np.round(scores, 3).sum(axis=1, keepdims=True)


def _config(strategy: dict, **operating_point: object):
    return validate({"task": "multiclass", "strategy": strategy, "operating_point": operating_point})


@functools.cache
def _registry(k: int) -> dict:
    """A registry with every per-class metric of the first k classes (built once: validation is slow)."""
    names = [f"{base}_of_{cls}" for cls in CLASSES[:k] for base in ("precision", "recall", "f1")]
    return metric_registry("multiclass", config=_config({"name": "average", "metrics": names}))


def test_the_names_parse_in_hydra_overrides_and_stay_apart_from_the_macro_averages():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    override = OverridesParser.create().parse_overrides(['strategy.constraints.recall_of_setosa=">= 0.9"'])[0]
    assert override.key_or_group == "strategy.constraints.recall_of_setosa" and override.package is None
    assert parse("recall_of_setosa") == ("recall", "setosa")
    assert parse("precision_macro") is None and parse("accuracy_of_setosa") is None


@settings(max_examples=25, deadline=None)
@given(n=st.integers(6, 60), k=st.integers(3, 4), seed=st.integers(0, 10_000), data=st.data())
def test_per_class_values_equal_scikit_learn_s_at_the_one_vs_rest_operating_point(n, k, seed, data):
    y, scores = _multiclass(n, k, seed)
    c = data.draw(st.integers(0, k - 1))
    classes = CLASSES[:k]
    # The threshold on class c's score, chosen one-vs-rest; the labels it makes.
    choice = choose_threshold((y == c).astype(int), scores[:, c],
                              Rule((("precision", 1.0, False),), (Condition("recall", ">=", 0.5),)))
    chosen = scores[:, c] >= (choice.threshold if choice.threshold is not None else 0.5)
    labels = one_vs_rest_labels(scores, c, chosen)
    others = np.where(np.arange(k) == c, -np.inf, scores)
    assert np.array_equal(labels[~chosen], np.argmax(others[~chosen], axis=1)) and np.all(labels[chosen] == c)
    names = [f"{base}_of_{classes[c]}" for base in ("precision", "recall", "f1")]
    registry = {name: _registry(k)[name] for name in names}  # only these: the others cost sklearn calls
    evalset = EvalSet(task="multiclass", ids=np.arange(n).astype(str).astype(object), y=y, classes=classes,
                      source="test")
    point = MULTICLASS.compute_metrics(registry, evalset, Predictions(labels, scores)).values
    boot = weighted_metric_values("multiclass", names, y, labels, scores, np.ones((1, n), dtype=np.int32),
                                  n_classes=k, settings=metric_settings(registry, evalset))
    reference = {"precision": precision_score, "recall": recall_score, "f1": f1_score}
    for name in names:
        expected = reference[parse(name)[0]](y, labels, labels=[c], average=None, zero_division=np.nan)[0]
        if np.isnan(expected):
            assert point[name] is None and np.isnan(boot[name][0])
        else:
            assert point[name] == pytest.approx(expected) and boot[name][0] == pytest.approx(expected)
    if choice.threshold is not None:
        assert choice.metrics["recall"] == pytest.approx(point[names[1]])


def test_a_metric_naming_a_class_the_truth_does_not_have_is_refused_with_the_classes():
    y, scores = _multiclass(30, 3, 0)
    cfg = _config({"name": "average", "metrics": ["recall_of_rose"]})
    registry = metric_registry("multiclass", config=cfg)
    evalset = EvalSet(task="multiclass", ids=np.arange(30).astype(str).astype(object), y=y,
                      classes=CLASSES[:3], source="test")
    with pytest.raises(ConfigError, match="metric recall_of_rose: the truth has no class 'rose'; its classes "
                                          "are setosa, versicolor, virginica"):
        MULTICLASS.compute_metrics(registry, evalset, Predictions(np.argmax(scores, axis=1), scores))


@pytest.mark.parametrize(("strategy", "message"), [
    ({"name": "satisficing", "optimize": "precision_of_setosa",
      "constraints": {"recall_of_virginica": ">= 0.9"}},
     "names metrics of classes setosa, virginica"),
    ({"name": "satisficing", "optimize": "accuracy", "constraints": {"recall_of_setosa": ">= 0.9"}},
     "accuracy changes with the threshold of class 'setosa'"),
])
def test_rules_a_one_vs_rest_threshold_cannot_serve_are_refused_before_any_data_is_read(strategy, message):
    cfg = _config(strategy, choose_on="cross_fit")
    registry = metric_registry("multiclass", config=cfg)
    with pytest.raises(ConfigError, match=message):
        MULTICLASS.check_operating_point(cfg, registry, build_strategy(cfg.strategy, registry, "multiclass"))


def test_cross_fit_chooses_on_the_named_class_s_score_and_the_bootstrap_re_chooses_it():
    from evalkit.uncertainty.resampling import Resampler

    y, scores = _multiclass(240, 3, 7)
    evalset = EvalSet(task="multiclass", ids=np.arange(240).astype(str).astype(object), y=y,
                      classes=CLASSES[:3], source="test")
    cfg = _config({"name": "satisficing", "optimize": "precision_of_virginica",
                   "constraints": {"recall_of_virginica": ">= 0.8"}}, choose_on="cross_fit", folds=3,
                  confidence=None)
    registry = metric_registry("multiclass", config=cfg)
    strategy = build_strategy(cfg.strategy, registry, "multiclass")
    argmax = np.argmax(scores, axis=1)
    entry = Entry("scored", "candidate", "predictions", {}, predictions=Predictions(argmax, scores))
    entry.metrics.update(MULTICLASS.compute_metrics(registry, evalset, entry.predictions).values)
    decisions.apply([entry], evalset, registry, strategy, cfg, lambda p, w: p, binary=False)
    record = entry.details["operating_point"]
    assert record["class"] == "virginica" and len(record["fold_thresholds"]) == 3
    # Each fold's items are virginica exactly where their virginica score clears that fold's threshold.
    setup = entry.predictions.operating_point
    for fold, threshold in enumerate(record["fold_thresholds"]):
        held = setup.fold_of == fold
        assert np.array_equal(entry.predictions.labels[held] == 2, scores[held, 2] >= threshold)
    assert not np.array_equal(entry.predictions.labels, argmax)  # the threshold moved some decisions
    labels = entry.predictions.labels
    assert entry.metrics["recall_of_virginica"] == pytest.approx(recall_score(y, labels, labels=[2],
                                                                              average=None)[0])
    assert record["metrics_at_point"]["recall"] == pytest.approx(entry.metrics["recall_of_virginica"])
    values = MULTICLASS.resampled_values([entry], evalset, registry, ["recall_of_virginica"],
                                         Resampler(n_items=240, resamples=20, seed=0), progress=False)
    # Re-chosen on each resample: the resampled recall is not the fixed labels' on the same weights.
    assert "threshold re-chosen" in record["bootstrap"]
    assert np.isfinite(values["scored"]["recall_of_virginica"]).all()
