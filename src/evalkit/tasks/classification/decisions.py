"""Scoring entries judged at their operating point: the glue between a run and ``operating_point``.

The run's strategy says what the threshold optimises and must meet (:func:`rule_for`); each binary
scoring entry's labels are then made at the threshold chosen as ``operating_point.choose_on`` says,
its label metrics recomputed, and ``details["operating_point"]`` records the choice for metrics.json,
the report and the threshold figure.

Multiclass: when the strategy names one class's metrics (``recall_of_<class>``, :mod:`.class_metrics`),
the threshold is chosen on that class's one-vs-rest problem (truth ``y == c``, score ``scores[:, c]``)
by the same rule, and an item is labelled ``c`` when its score for ``c`` clears the threshold, else the
highest-scoring other class (:class:`Target`). Without such a metric multiclass keeps argmax and says so.

Costs (``costs:``, :mod:`.error_costs`): which rule applies when (:func:`rule_for`).

1. The strategy's objective is ``expected_cost`` (satisficing ``optimize: expected_cost``): the
   threshold minimises the expected cost among those meeting the strategy's threshold constraints.
2. ``costs:`` is set and the strategy has no constraint on a threshold metric (none, or only on
   latency and other declared costs): the threshold minimises the expected cost, whatever the
   objective; the strategy then scores the entry at that threshold as usual. The record says so.
3. ``costs:`` is set and the strategy constrains a threshold metric (``recall: '>= 0.9'``, or
   ``expected_cost: '<= 0.3'`` itself): the strategy's own objective subject to those constraints.

Each item's cost either way (:class:`~.operating_point.ItemCosts`) is the metric's own per-item cost
(:func:`.error_costs.item_costs`) of the labels the entry would get if the threshold said yes, and if it
said no, so the chosen threshold's expected cost is exactly the value the run reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.tasks.classification import class_metrics
from evalkit.tasks.classification.operating_point import (
    COUNT_METRICS,
    EXPECTED_COST,
    THRESHOLD_METRICS,
    Condition,
    ItemCosts,
    Rule,
    check_folds,
    choose_threshold,
    cross_fit,
    metrics_at,
    stratified_folds,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from evalkit.config import RunConfig
    from evalkit.entry import Entry
    from evalkit.evalset import EvalSet
    from evalkit.metrics.registry import MetricSpec
    from evalkit.predictions import Predictions
    from evalkit.strategies.base import Strategy
    from evalkit.tasks.classification.catalog import MetricSettings
    from evalkit.uncertainty.resampling import Resampler

# What metrics.json keeps of the decisions an entry is judged on (and what the PR/ROC figures need).
RECORDED_METRICS = ("precision", "recall", "specificity", "fpr", "f1", "accuracy")
LABELS_ONLY = "labels only: no operating point"
# Re-running the cross-fitted choice costs one sort per fold per resample; above this many item-resamples
# (1,000 resamples of 20,000 items) the bootstrap keeps the cross-fitted labels fixed instead, and says so.
RESELECT_BUDGET = 20_000_000
MULTICLASS_NOTE = ("multiclass: labels stay the highest-scoring class (argmax); an operating point needs a "
                   "strategy metric that names one class (e.g. recall_of_<class>), the others average "
                   "over classes")


@dataclass(frozen=True)
class Target:
    """What a threshold decides: the binary positive class, or one class of a multiclass task against
    the rest (``index``, ``name``)."""

    index: int = 1
    name: str | None = None

    @property
    def binary(self) -> bool:
        return self.name is None

    def truth(self, y: np.ndarray) -> np.ndarray:
        return y if self.binary else (y == self.index).astype(np.int64)

    def scores(self, scores: np.ndarray) -> np.ndarray:
        return scores if self.binary else scores[:, self.index]

    def labels(self, scores: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """The entry's labels from the threshold's yes/no decisions (multiclass: argmax of the others)."""
        if self.binary:
            return np.asarray(chosen).astype(np.int64)
        return class_metrics.one_vs_rest_labels(scores, self.index, chosen)

    def metric(self, name: str) -> str | None:
        """The threshold metric a run's metric ``name`` is, for this target (None: not one)."""
        if name == EXPECTED_COST:  # the cost of the whole decision, which this threshold moves
            return EXPECTED_COST
        if self.binary:
            return name if name in COUNT_METRICS else None
        parsed = class_metrics.parse(name)
        return parsed[0] if parsed is not None and parsed[1] == self.name else None

    def run_metric(self, threshold_metric: str) -> str:
        """The run's name of a threshold metric of this target (``recall`` -> ``recall_of_<class>``)."""
        if self.name is None or threshold_metric == EXPECTED_COST:
            return threshold_metric
        return class_metrics.metric_name(threshold_metric, self.name)

    def item_costs(self, settings: MetricSettings, y: np.ndarray, scores: np.ndarray) -> ItemCosts:
        """Each item's cost if the threshold says yes and if it says no: the run's own per-item costs
        of the labels either decision gives (``y``: class codes; ``scores``: the entry's, all classes)."""
        from evalkit.tasks.classification.error_costs import item_costs

        assert settings.costs is not None
        n = len(y)
        yes = self.labels(scores, np.ones(n, dtype=bool))
        no = self.labels(scores, np.zeros(n, dtype=bool))
        return ItemCosts(item_costs(settings.costs, y, yes, settings.amounts),
                         item_costs(settings.costs, y, no, settings.amounts))


BINARY_TARGET = Target()


@dataclass(frozen=True)
class ValidationSetup:
    """What the bootstrap needs to re-choose an entry's threshold on resampled validation items: their
    one-vs-rest truth and scores for the target (``costs``: theirs, ``judged_costs``: the test items',
    with ``costs:`` set)."""

    rule: Rule
    y: np.ndarray
    scores: np.ndarray
    target: Target = BINARY_TARGET
    costs: ItemCosts | None = None
    judged_costs: ItemCosts | None = None


@dataclass(frozen=True)
class CrossFitSetup:
    """What the bootstrap needs to re-run an entry's cross-fitted choice on a resample (``costs``: the
    items' costs either way, with ``costs:`` set)."""

    rule: Rule
    folds: int
    fold_of: np.ndarray
    target: Target = BINARY_TARGET
    costs: ItemCosts | None = None

    @property
    def judged_costs(self) -> ItemCosts | None:
        return self.costs


def target_class(strategy: Strategy) -> str | None:
    """The one class a multiclass strategy's per-class metrics name (None: none); two classes are refused,
    since an entry's labels follow one threshold."""
    description = strategy.describe()
    named = [m for m in (description.get("optimize"), *(description.get("constraints") or {}),
                         *(description.get("metrics") or [])) if isinstance(m, str)]
    classes = list(dict.fromkeys(parsed[1] for m in named if (parsed := class_metrics.parse(m)) is not None))
    if len(classes) > 1:
        raise ConfigError(f"operating_point.choose_on: the strategy names metrics of classes "
                          f"{', '.join(classes)}; an operating point is one class's threshold against the "
                          "rest, so name metrics of one class (or set operating_point.choose_on: fixed)")
    return classes[0] if classes else None


def _threshold_metric(metric: str, target: Target, registry: Mapping[str, MetricSpec]) -> str | None:
    """The target's threshold metric ``metric`` is; refuses a multiclass label metric the threshold
    moves but the rule cannot judge (accuracy, f1_macro, another class's recall)."""
    mapped = target.metric(metric)
    spec = registry.get(metric)
    if mapped is None and not target.binary and spec is not None and spec.needs == "labels":
        own = ", ".join(class_metrics.metric_name(b, target.name or "") for b in class_metrics.BASES)
        raise ConfigError(f"strategy: {metric} changes with the threshold of class '{target.name}' but is "
                          "not one of that class's metrics, so the operating point cannot weigh it; use "
                          f"{own} or set operating_point.choose_on: fixed")
    return mapped


def rule_for(strategy: Strategy, registry: Mapping[str, MetricSpec], confidence: float | None,
             target: Target = BINARY_TARGET) -> Rule:
    """The operating-point rule of a strategy: its objective and constraints on threshold metrics.

    Metrics that do not depend on the threshold (latency, roc_auc in an objective) are the same at every
    threshold and are left to the strategy; a *constraint* on a score metric (roc_auc, average_precision,
    log_loss, brier) is refused: a threshold cannot help or hurt it, so choosing on it would mislead.
    For a multiclass ``target`` the rule's metrics are the class's (``recall_of_<class>`` -> ``recall``).
    With ``costs:`` set (``expected_cost`` in ``registry``) and no threshold constraint, the rule
    minimises the expected cost (the module docstring lists which rule applies when).
    """
    description = strategy.describe()
    name = description.get("name")
    if name == "satisficing":
        optimize = _threshold_metric(description["optimize"], target, registry)
        objective = ((optimize, 1.0, False),) if optimize is not None else ()
        conditions = []
        for metric, given in description["constraints"].items():
            spec = registry.get(metric)
            mapped = _threshold_metric(metric, target, registry)
            if mapped is not None:
                conditions.append(Condition(mapped, given["op"], float(given["threshold"])))
            elif spec is not None and spec.needs == "scores":
                usable = ", ".join(m for m in THRESHOLD_METRICS if m in registry)
                raise ConfigError(f"strategy.constraints.{metric}: {metric} does not depend on the "
                                  "threshold, so an operating point cannot be chosen to meet it; "
                                  f"constrain a threshold metric ({usable}) or set "
                                  "operating_point.choose_on: fixed")
        rule = Rule(objective, tuple(conditions), strategy.higher_is_better, confidence)
    elif name == "average":
        weighted = ((_threshold_metric(m, target, registry), float(w))
                    for m, w in zip(description["metrics"], description["weights"], strict=True))
        rule = Rule(tuple((m, w, False) for m, w in weighted if m is not None), (), True, confidence)
    elif EXPECTED_COST in registry:
        # A formula or map has no constraints, so with costs the threshold minimises the cost (rule 2).
        rule = Rule((), (), True, confidence)
    else:
        raise ConfigError(f"operating_point.choose_on needs a satisficing or average strategy to say what "
                          f"the threshold optimises (strategy is {name}); set operating_point.choose_on: "
                          "fixed or change the strategy")
    if EXPECTED_COST in registry and not rule.constraints \
            and not any(m == EXPECTED_COST for m, _, _ in rule.objective):
        stated = _objective_text(rule) or "no threshold metric"
        rule = Rule(((EXPECTED_COST, 1.0, False),), (), False, confidence,
                    reason=f"costs are set and no constraint is on a threshold metric, so the threshold "
                           f"minimises expected_cost (the strategy's objective, {stated}, is scored at it)")
    rule.check()
    return rule


def _objective_text(rule: Rule) -> str:
    return " + ".join(m if w == 1 else f"{w:g} * {m}" for m, w, _ in rule.objective)


def describe_rule(rule: Rule) -> str:
    """The rule in words, for the record: ``minimise expected_cost subject to recall >= 0.9``.

    >>> describe_rule(Rule((("precision", 1.0, False),), (Condition("recall", ">=", 0.9),)))
    'maximise precision subject to recall >= 0.9'
    """
    goal = _objective_text(rule)
    text = f"{'maximise' if rule.higher_is_better else 'minimise'} {goal}" if goal else \
        "the threshold nearest 0.5"
    if rule.constraints:
        text += (" subject to " if goal else " among those meeting ") + \
            ", ".join(str(c) for c in rule.constraints)
    return text


def check(cfg: RunConfig, registry: Mapping[str, MetricSpec], strategy: Strategy, *, binary: bool) -> None:
    """Config checks before any data is read (the class a multiclass rule names is checked on the data)."""
    if cfg.operating_point.choose_on != "fixed":
        if binary:
            rule_for(strategy, registry, cfg.operating_point.confidence)
        elif (cls := target_class(strategy)) is not None:
            rule_for(strategy, registry, cfg.operating_point.confidence, Target(0, cls))
    if not binary:
        for name, candidate in cfg.candidates.items():
            if candidate.threshold is not None:
                raise ConfigError(f"candidates.{name}.threshold: a threshold applies to binary scores; "
                                  "multiclass labels are the highest-scoring class; remove it")


def apply(entries: list[Entry], evalset: EvalSet, registry: Mapping[str, MetricSpec], strategy: Strategy,
          cfg: RunConfig, resolve: Callable[[str, str], Path], *, binary: bool) -> None:
    """Relabel every scoring entry at its operating point and record the choice (in place).

    Binary: the positive class's threshold. Multiclass: the threshold of the class the strategy's
    per-class metrics name, one class against the rest; without one, labels stay argmax and say so.
    """
    point = cfg.operating_point
    target = BINARY_TARGET
    if not binary:
        cls = target_class(strategy) if point.choose_on != "fixed" else None
        if cls is None:
            if point.choose_on != "fixed":
                for entry in entries:
                    if entry.predictions is not None and entry.predictions.scores is not None:
                        entry.details["operating_point"] = {"choose_on": point.choose_on,
                                                            "note": MULTICLASS_NOTE}
            return
        target = Target(class_metrics.class_index(class_metrics.metric_name("recall", cls), evalset.classes),
                        cls)
    for entry in entries:
        threshold = cfg.candidates[entry.name].threshold if entry.role == "candidate" \
            and entry.name in cfg.candidates else None
        if threshold is not None:
            _fixed(entry, evalset, registry, threshold)
    if point.choose_on == "fixed":
        return
    rule = rule_for(strategy, registry, point.confidence, target)
    settings = _cost_settings(registry, evalset)
    scoring = [e for e in entries if _owns_threshold(e, cfg, target)]
    for entry in entries:
        if entry.predictions is not None and entry.predictions.scores is None \
                and entry.predictions.item_index is None:
            entry.details["operating_point"] = {"choose_on": point.choose_on, "note": LABELS_ONLY}
    if point.choose_on == "cross_fit":
        if scoring:
            check_folds(target.truth(evalset.y), point.folds)
        fold_of = stratified_folds(evalset.y, point.folds, point.seed)
        for entry in scoring:
            _cross_fitted(entry, evalset, registry, rule, point.folds, fold_of, target, settings)
    else:
        _validated(scoring, evalset, registry, rule, cfg, resolve, target, settings)


def _cost_settings(registry: Mapping[str, MetricSpec], evalset: EvalSet) -> MetricSettings | None:
    """The run's costs and per-item cost columns for these items (None without ``costs:``)."""
    from evalkit.tasks.classification.configured import metric_settings

    if EXPECTED_COST not in registry:
        return None
    settings = metric_settings(registry, evalset)
    return settings if settings is not None and settings.costs is not None else None


def _owns_threshold(entry: Entry, cfg: RunConfig, target: Target = BINARY_TARGET) -> bool:
    """Full-coverage scores (one per item, or a row per item for multiclass) whose threshold is not fixed
    by the candidate's own ``threshold``."""
    preds = entry.predictions
    if preds is None or preds.scores is None or preds.item_index is not None \
            or preds.scores.ndim != (1 if target.binary else 2):
        return False
    if entry.role == "candidate" and entry.name in cfg.candidates:
        return cfg.candidates[entry.name].threshold is None
    return True


def _relabel(entry: Entry, evalset: EvalSet, registry: Mapping[str, MetricSpec], labels: np.ndarray,
             setup: object | None = None) -> None:
    from evalkit.metrics.compute import compute_metrics

    assert entry.predictions is not None
    entry.predictions = dataclasses.replace(entry.predictions, labels=labels.astype(np.int64),
                                            labels_from_scores=True, operating_point=setup)
    computed = compute_metrics(registry, evalset, entry.predictions)
    entry.metrics.update(computed.values)
    entry.notes = {m: n for m, n in entry.notes.items() if m not in computed.values} | computed.notes
    entry.details.pop("labels_from_scores", None)


def _recorded(y: np.ndarray, labels: np.ndarray, costs: ItemCosts | None = None) -> dict[str, float | None]:
    values = metrics_at(y, labels)
    out: dict[str, float | None] = {m: (None if np.isnan(values[m]) else values[m]) for m in RECORDED_METRICS}
    if costs is not None and len(labels):
        out[EXPECTED_COST] = float(costs.of(labels).mean())
    return out


def _fixed(entry: Entry, evalset: EvalSet, registry: Mapping[str, MetricSpec], threshold: float) -> None:
    preds = entry.predictions
    if preds is None or preds.scores is None:
        raise ConfigError(f"candidates.{entry.name}.threshold: this candidate gives labels only, so there "
                          "are no scores to threshold; remove threshold or give a 'score' column")
    labels = (preds.scores >= threshold).astype(np.int64)
    _relabel(entry, evalset, registry, labels)
    entry.details["operating_point"] = {"choose_on": "fixed", "confidence": None, "threshold": threshold,
                                        "fold_thresholds": [], "spread": None,
                                        "metrics_at_point": _recorded(preds.truth(evalset), labels)}


def _cross_fitted(entry: Entry, evalset: EvalSet, registry: Mapping[str, MetricSpec], rule: Rule, folds: int,
                  fold_of: np.ndarray, target: Target = BINARY_TARGET,
                  settings: MetricSettings | None = None) -> None:
    assert entry.predictions is not None and entry.predictions.scores is not None
    y, scores = target.truth(evalset.y), target.scores(entry.predictions.scores)
    costs = None if settings is None else target.item_costs(settings, evalset.y, entry.predictions.scores)
    result = cross_fit(y, scores, rule, folds=folds, seed=0, fold_of=fold_of, costs=costs)
    # The threshold one would ship: chosen on every evaluated item. The entry is judged on the pooled
    # held-out decisions instead, so no item is decided by a threshold chosen on itself.
    shipped = choose_threshold(y, scores, rule, costs=costs)
    record: dict[str, Any] = {
        "choose_on": "cross_fit", "folds": folds, "confidence": rule.confidence,
        "threshold": shipped.threshold, "fold_thresholds": list(result.fold_thresholds),
        "spread": result.spread, "rule": describe_rule(rule),
        "rule_constraints": [c.metric for c in rule.constraints]}
    if rule.reason:
        record["rule_reason"] = rule.reason
    if not target.binary:
        record["class"] = target.name
    if result.labels is None:
        record |= {"threshold": None, "infeasible": result.reason, "metrics_at_point": None}
    else:
        labels = target.labels(entry.predictions.scores, result.labels)
        _relabel(entry, evalset, registry, labels, CrossFitSetup(rule, folds, fold_of, target, costs))
        record["metrics_at_point"] = _recorded(y, result.labels, costs)
    if record["threshold"] is not None:
        record["curve_point"] = _recorded(y, (scores >= shipped.threshold).astype(np.int64), costs)
    entry.details["operating_point"] = record


def _validated(scoring: list[Entry], evalset: EvalSet, registry: Mapping[str, MetricSpec],
               rule: Rule, cfg: RunConfig, resolve: Callable[[str, str], Path],
               target: Target = BINARY_TARGET, settings: MetricSettings | None = None) -> None:
    point = cfg.operating_point
    assert point.validation.path is not None
    candidates = [e for e in scoring if e.role == "candidate"]
    missing = [e.name for e in candidates if cfg.candidates[e.name].predictions is not None
               and cfg.candidates[e.name].predictions_validation is None]
    if missing:
        raise ConfigError(f"operating_point.choose_on=validation: candidate(s) {', '.join(missing)} give "
                          "scores but no validation predictions; set their predictions_validation")
    validation = _validation_set(evalset, cfg, resolve)
    # The validation items' own costs (a per-item cost column is read from the validation truth).
    validation_settings = None if settings is None else _cost_settings(registry, validation)
    for entry in scoring:
        if entry.role != "candidate":
            entry.details["operating_point"] = {
                "choose_on": "validation",
                "note": "baseline: fixed threshold 0.5 (validation predictions are read for candidates only)"}
            continue
        predicted = _validation_predictions(entry.name, validation, evalset, cfg, resolve)
        assert predicted.scores is not None and entry.predictions is not None
        costs = judged_costs = None
        if validation_settings is not None and settings is not None:
            costs = target.item_costs(validation_settings, predicted.truth(validation), predicted.scores)
            judged_costs = target.item_costs(settings, evalset.y, entry.predictions.scores)
        # The bound covers the test items' own sampling noise, not only the population's (operating_point).
        choice = choose_threshold(target.truth(predicted.truth(validation)), target.scores(predicted.scores),
                                  rule, judged_items=float(evalset.n_items), costs=costs)
        record: dict[str, Any] = {"choose_on": "validation", "confidence": rule.confidence,
                                  "threshold": choice.threshold, "fold_thresholds": [], "spread": None,
                                  "validation_metrics": choice.metrics or None, "rule": describe_rule(rule),
                                  "rule_constraints": [c.metric for c in rule.constraints]}
        if rule.reason:
            record["rule_reason"] = rule.reason
        if not target.binary:
            record["class"] = target.name
        if choice.threshold is None:
            record |= {"infeasible": f"validation set: {choice.reason}", "metrics_at_point": None}
        else:
            assert entry.predictions.scores is not None
            chosen = target.scores(entry.predictions.scores) >= choice.threshold
            setup = ValidationSetup(rule, target.truth(predicted.truth(validation)),
                                    target.scores(predicted.scores), target, costs, judged_costs)
            _relabel(entry, evalset, registry, target.labels(entry.predictions.scores, chosen), setup)
            record["metrics_at_point"] = record["curve_point"] = _recorded(target.truth(evalset.y), chosen,
                                                                           judged_costs)
        entry.details["operating_point"] = record


def _validation_set(evalset: EvalSet, cfg: RunConfig, resolve: Callable[[str, str], Path]) -> EvalSet:
    from evalkit.tasks import get_task

    assert cfg.operating_point.validation.path is not None
    path = resolve(cfg.operating_point.validation.path, "operating_point.validation.path")
    data = dataclasses.replace(cfg.data, path=cfg.operating_point.validation.path, train_path=None)
    validation = get_task(evalset.task).load_evalset(data, truth_path=path, train_path=None)
    if tuple(validation.classes) != tuple(evalset.classes):
        raise DataError(f"{path}: the validation truth's classes {list(validation.classes)} differ from the "
                        f"test truth's {list(evalset.classes)}; set data.positive_label or fix the labels")
    return validation


def _validation_predictions(name: str, validation: EvalSet, evalset: EvalSet, cfg: RunConfig,
                            resolve: Callable[[str, str], Path]) -> Predictions:
    from evalkit.fitting import build_estimator, select_features
    from evalkit.tasks import get_task

    candidate = cfg.candidates[name]
    task = get_task(validation.task)
    if candidate.predictions_validation is not None:
        path = resolve(candidate.predictions_validation, f"candidates.{name}.predictions_validation")
        predicted = task.predictions_from_file(path, validation, id_column=cfg.data.id_column)
    else:
        # An estimator is fitted again on the same train split (same config, same seed) and predicts the
        # validation items; the run's own fit predicted the test items.
        if validation.features is None:
            raise DataError(f"{cfg.operating_point.validation.path}: estimator candidate {name} needs the "
                            "feature columns in the validation truth")
        where = f"candidates.{name}"
        if evalset.train_features is None or evalset.train_y is None:
            raise ConfigError(f"{where}: an estimator needs a train split with features")
        estimator = build_estimator(candidate.estimator, where=f"{where}.estimator")
        predicted = task.fit_predict(estimator, validation,
                                     select_features(evalset.train_features, candidate.features, where=where),
                                     evalset.train_y,
                                     select_features(validation.features, candidate.features, where=where))
    if predicted.scores is None:
        raise DataError(f"candidates.{name}.predictions_validation: no scores; give a 'score' column so a "
                        "threshold can be chosen on it")
    return predicted


def reselect_in_bootstrap(entries: Iterable[Entry], evalset: EvalSet, resampler: Resampler,
                          values: dict[str, dict[str, np.ndarray]]) -> None:
    """Replace chosen entries' threshold metrics on each resample by a re-run of the whole choice.

    ``cross_fit``: on resample ``r`` (its item weights) every fold's threshold is chosen again on the
    other folds' weighted items and the pooled held-out decisions are scored with the same weights.
    ``validation``: the validation items are resampled too (their own seeded draws, independent of the
    test items'), the threshold is chosen again on them and applied to the test resample. Either way
    intervals and satisficing shares include the threshold's own uncertainty. A resample that admits no
    threshold gives NaN, which no constraint accepts. Beyond ``RESELECT_BUDGET`` the labels stay fixed.
    """
    chosen = [e for e in entries if e.predictions is not None and e.name in values
              and isinstance(e.predictions.operating_point, CrossFitSetup | ValidationSetup)]
    if not chosen:
        return
    for entry in chosen:
        setup = entry.predictions.operating_point  # type: ignore[union-attr]
        items = evalset.n_items + (len(setup.y) if isinstance(setup, ValidationSetup) else 0)
        if items * resampler.resamples > RESELECT_BUDGET:
            entry.details["operating_point"]["bootstrap"] = (
                f"labels held fixed: re-choosing the threshold in {resampler.resamples} resamples of "
                f"{items} items exceeds the budget of {RESELECT_BUDGET:,} item-resamples")
    chosen = [e for e in chosen if "bootstrap" not in e.details["operating_point"]]
    if not chosen:
        return
    weights = [resampler.weights(r) for r in range(resampler.resamples)]
    for entry in chosen:
        assert entry.predictions is not None and entry.predictions.scores is not None
        setup = entry.predictions.operating_point
        assert isinstance(setup, CrossFitSetup | ValidationSetup)
        # The run's names of the target's threshold metrics (multiclass: recall_of_<class>, ...): the
        # other metrics of a multiclass entry keep the bootstrap of its chosen labels.
        names = {m: own for m in values[entry.name] if (own := setup.target.metric(m)) is not None
                 and (own != EXPECTED_COST or setup.judged_costs is not None)}
        arrays = {m: np.full(resampler.resamples, np.nan) for m in names}
        y, scores = setup.target.truth(evalset.y), setup.target.scores(entry.predictions.scores)
        if isinstance(setup, ValidationSetup):
            rng = np.random.default_rng([resampler.seed, 0x7A1])
            n_val = len(setup.y)
        for r, w in enumerate(weights):
            if isinstance(setup, CrossFitSetup):
                labels = cross_fit(y, scores, setup.rule, folds=setup.folds, seed=0, weight=w,
                                   fold_of=setup.fold_of, costs=setup.costs).labels
            else:
                w_val = np.bincount(rng.integers(0, n_val, n_val), minlength=n_val).astype(np.float64)
                threshold = choose_threshold(setup.y, setup.scores, setup.rule, w_val,
                                             judged_items=float(evalset.n_items), costs=setup.costs).threshold
                labels = None if threshold is None else (scores >= threshold).astype(np.int64)
            if labels is not None:
                at: dict[str, float] = metrics_at(y, labels, w)
                if setup.judged_costs is not None and EXPECTED_COST in names:
                    at[EXPECTED_COST] = float(np.average(setup.judged_costs.of(labels), weights=w))
                for m, own in names.items():
                    arrays[m][r] = at[own]
        values[entry.name].update(arrays)
        where = ("in every fold of each" if isinstance(setup, CrossFitSetup)
                 else "on a resample of the validation items in each")
        entry.details["operating_point"]["bootstrap"] = (
            f"threshold re-chosen {where} of the {resampler.resamples} resamples: "
            f"{', '.join(names)} intervals and satisficing shares include its uncertainty")


def entry_threshold_curve(scores: np.ndarray, evalset: EvalSet, registry: Mapping[str, MetricSpec],
                          target: Target, *, max_points: int) -> dict[str, list[float]]:
    """The threshold curve of an entry's ``scores`` for ``target`` on the evaluated items, with the
    expected cost at each threshold when the run has ``costs:``."""
    settings = _cost_settings(registry, evalset)
    costs = None if settings is None else target.item_costs(settings, evalset.y, scores)
    return threshold_curve(target.truth(evalset.y), target.scores(scores), max_points=max_points, costs=costs)


def threshold_curve(y_true: np.ndarray, scores: np.ndarray, *, max_points: int,
                    costs: ItemCosts | None = None) -> dict[str, list[float]]:
    """Precision and recall (and with ``costs`` the expected cost per item) at each threshold on every
    evaluated item, for the threshold figure.

    At most ``max_points`` thresholds, evenly spaced in rank, the highest and lowest always kept.
    """
    from evalkit.tasks.classification.operating_point import sweep

    table = sweep(y_true, scores, costs=costs)
    keep = np.unique(np.linspace(0, len(table.thresholds) - 1, min(max_points, len(table.thresholds)))
                     .round().astype(np.int64))

    def listed(values: np.ndarray) -> list[float]:
        return [round(float(v), 6) for v in np.nan_to_num(values[keep], nan=0.0)]

    curve = {"threshold": listed(table.thresholds), "precision": listed(table.metric("precision")),
             "recall": listed(table.metric("recall"))}
    if costs is not None:
        curve[EXPECTED_COST] = listed(table.metric(EXPECTED_COST))
    return curve
