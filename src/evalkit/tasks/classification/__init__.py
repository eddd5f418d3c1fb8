"""The classification tasks: binary (one positive class) and multiclass (one label out of k).

They share almost everything: a label or class scores per item, confusion-matrix, loss and ranking
metrics with a vectorized bootstrap (``catalog``, ``bootstrap``, ``confusion``, ``losses``,
``ranking``), interval fallbacks from counts (``intervals``), ROC/PR curves and confusion matrices.
Where they differ — binary reads one ``score`` column and reports its positive class, multiclass reads
``score_<class>`` columns — the instance's ``binary`` flag says which.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.config import DataConfig, RunConfig
from evalkit.entry import Entry
from evalkit.errors import DataError
from evalkit.evalset import EvalSet, binary_classes, load_labelled, sorted_classes
from evalkit.metrics import registry as metric_specs
from evalkit.metrics.compute import MetricValues
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import (
    Predictions,
    align_by_id,
    label_codes,
    labels_from_scores,
    numeric_scores,
    row_ids,
)
from evalkit.tasks.base import ResampledValues, Task
from evalkit.uncertainty.intervals import ProportionCounts, RankCounts
from evalkit.uncertainty.resampling import Resampler

if TYPE_CHECKING:
    from evalkit.strategies.base import Strategy
    from evalkit.tasks.classification.decisions import Target

SUM_TOLERANCE = 1e-6
# Below this many positives an interval of a metric that depends on the positive class is rough, and
# the report says so.
FEW_POSITIVES = 10
# Binary metrics whose value depends on the positive class (recall, AUC, ...), for that caveat.
POSITIVE_CLASS_METRICS = ("recall", "f1", "precision", "balanced_accuracy", "roc_auc", "average_precision")


class ClassificationTask(Task):
    """Binary or multiclass classification (``binary`` says which)."""

    # thresholds: precision and recall against the threshold, when an operating point was chosen;
    # reliability: the reliability diagram, when the run has calibration metrics
    figures = ("pr_curves", "roc_curves", "confusion", "thresholds", "reliability")
    reviews_labels = True

    def __init__(self, name: str, *, binary: bool) -> None:
        self.name = name
        self.binary = binary

    def check_experiment(self, cfg: RunConfig) -> None:
        self.metrics(cfg)  # costs and calibration are parsed there: a bad value fails before any work

    def metrics(self, cfg: RunConfig | None = None) -> dict[str, MetricSpec]:
        """scikit-learn's metrics, plus ``expected_cost`` and the calibration metrics when configured."""
        from evalkit.tasks.classification.configured import configured_metrics

        own = dict(metric_specs.BINARY if self.binary else metric_specs.MULTICLASS)
        return own | configured_metrics(cfg, binary=self.binary)

    def compute_metrics(self, registry: Mapping[str, MetricSpec], evalset: EvalSet,
                        predictions: Predictions) -> MetricValues:
        from evalkit.metrics.compute import label_score_metrics
        from evalkit.tasks.classification.configured import add_configured_values
        from evalkit.tasks.classification.item_groups import collapsed_predictions

        # A million rows with scores to a few decimals are a few thousand distinct rows, and
        # scikit-learn's input checks alone take a second per metric at that size. The label metrics
        # never look at the scores, so they are merged on (truth, label) alone: a handful of rows even
        # when every score is distinct.
        y_rows = predictions.truth(evalset)
        by_labels = {k: spec for k, spec in registry.items() if spec.needs == "labels"}
        result = label_score_metrics(by_labels, evalset,
                                     collapsed_predictions(replace(predictions, scores=None), y_rows))
        scored = label_score_metrics({k: spec for k, spec in registry.items() if k not in by_labels},
                                     evalset, collapsed_predictions(predictions, y_rows))
        result.values.update(scored.values)
        result.notes.update(scored.notes)
        # Back in the registry's order, which the tables follow.
        result.values = {k: result.values[k] for k in registry if k in result.values}
        add_configured_values(result, registry, evalset, predictions)
        return result

    # --- truth and predictions ----------------------------------------------------------------
    def load_evalset(self, data: DataConfig, *, truth_path: Path | None, train_path: Path | None) -> EvalSet:
        classes_of = binary_classes if self.binary else sorted_classes
        return load_labelled(self.name, data, classes_of, truth_path=truth_path, train_path=train_path)

    def predictions_from_table(self, table: pd.DataFrame, evalset: EvalSet, *, source: str,
                               id_column: str = "id") -> Predictions:
        aligned = align_by_id(table, evalset, source=source, id_column=id_column)
        labels = label_codes(aligned, evalset, source)
        scores = self._scores(aligned, evalset, source)
        if labels is None and scores is None:
            wanted = "'score' and/or 'label'" if self.binary else \
                "'label' and/or " + ", ".join(f"'score_{c}'" for c in evalset.classes)
            raise DataError(f"{source}: no prediction columns; add {wanted}")
        if labels is None:
            assert scores is not None
            return Predictions(labels=labels_from_scores(scores), scores=scores, labels_from_scores=True)
        return Predictions(labels=labels, scores=scores)

    def _scores(self, table: pd.DataFrame, evalset: EvalSet, source: str) -> np.ndarray | None:
        if self.binary:
            return numeric_scores(table, "score", source) if "score" in table.columns else None
        names = [f"score_{c}" for c in evalset.classes]
        present = [n for n in names if n in table.columns]
        if not present:
            return None
        if len(present) < len(names):
            missing = [n for n in names if n not in table.columns]
            raise DataError(f"{source}: score columns missing for some classes: {missing}; "
                            "give one score_<class> column per class")
        matrix = np.column_stack([numeric_scores(table, n, source) for n in names])
        sums = matrix.sum(axis=1)
        off = np.abs(sums - 1) > SUM_TOLERANCE
        if off.any():
            raise DataError(f"{source}: {int(off.sum())} row(s) of score_<class> columns do not sum to 1 "
                            f"(e.g. {sums[off][0]:.6g}); normalize them (softmax) so they are probabilities")
        return matrix

    def predictions_from_output(self, output: object, evalset: EvalSet, *, source: str) -> Predictions:
        """A 1-D array or Series is labels in the order of the feature rows; a DataFrame is read like a
        predictions file (its index, or an ``id`` column, gives the ids)."""
        if isinstance(output, pd.DataFrame):
            table = output if "id" in output.columns else output.assign(id=row_ids(output, evalset))
            return self.predictions_from_table(table, evalset, source=source)
        values = np.asarray(output)
        if values.ndim != 1 or len(values) != evalset.n_items:
            raise DataError(f"{source}: returned shape {values.shape}; return one label per feature row "
                            f"({evalset.n_items}) or a DataFrame with 'label'/'score' columns")
        table = pd.DataFrame({"id": evalset.ids, "label": values})
        return self.predictions_from_table(table, evalset, source=source)

    def fit_predict(self, estimator: Any, evalset: EvalSet, X_train: pd.DataFrame, y_train: np.ndarray,
                    X_eval: pd.DataFrame) -> Predictions:
        estimator.fit(X_train, y_train)
        labels = np.asarray(estimator.predict(X_eval)).astype(np.int64)
        scores = None
        if hasattr(estimator, "predict_proba"):
            proba = np.asarray(estimator.predict_proba(X_eval), dtype=np.float64)
            full = np.zeros((len(X_eval), evalset.n_classes))
            full[:, np.asarray(estimator.classes_, dtype=np.int64)] = proba
            scores = full[:, 1] if self.binary else full
        return Predictions(labels=labels, scores=scores)

    item_error_name = "error rate (1 - accuracy)"

    def item_errors(self, evalset: EvalSet, predictions: Predictions) -> np.ndarray | None:
        """1 where the predicted label is wrong, else 0 (the error rate is 1 - accuracy)."""
        if predictions.labels is None or predictions.item_index is not None:
            return None
        return (predictions.labels != evalset.y).astype(np.float64)

    def curve_strata(self, y_train: np.ndarray) -> np.ndarray | None:
        return np.asarray(y_train)

    def class_probabilities(self, predictions: Predictions, evalset: EvalSet) -> np.ndarray | None:
        """Binary scores (the positive class's probability) become two columns, negative first."""
        if predictions.scores is None or predictions.item_index is not None:
            return None
        scores = np.asarray(predictions.scores, dtype=np.float64)
        return np.column_stack([1.0 - scores, scores]) if self.binary else scores

    def data_summary(self, evalset: EvalSet) -> dict[str, Any]:
        return {"positive_label": evalset.classes[1]} if self.binary else {}

    # --- operating points ---------------------------------------------------------------------
    def check_operating_point(self, cfg: RunConfig, registry: Mapping[str, MetricSpec],
                              strategy: Strategy) -> None:
        from evalkit.tasks.classification import decisions

        decisions.check(cfg, registry, strategy, binary=self.binary)

    def apply_operating_points(self, entries: list[Entry], evalset: EvalSet,
                               registry: Mapping[str, MetricSpec], strategy: Strategy, cfg: RunConfig,
                               resolve: Callable[[str, str], Path]) -> None:
        """Binary scoring entries judged at the threshold ``operating_point`` chooses (decisions.apply)."""
        from evalkit.tasks.classification import decisions

        decisions.apply(entries, evalset, registry, strategy, cfg, resolve, binary=self.binary)

    # --- uncertainty --------------------------------------------------------------------------
    def resampled_values(self, entries: Iterable[Entry], evalset: EvalSet,
                         registry: Mapping[str, MetricSpec], strategy_metrics: Iterable[str],
                         resampler: Resampler, *, progress: bool | None = None) -> ResampledValues:
        """Every vectorized metric of every entry with per-item predictions, on the shared resamples."""
        from evalkit.tasks.classification.bootstrap import bootstrap_entries
        from evalkit.tasks.classification.configured import metric_settings

        groups: dict[tuple[str, ...], dict[str, tuple[np.ndarray | None, ...]]] = defaultdict(dict)
        for entry in entries:
            if entry.predictions is None:
                continue
            names = tuple(m for m in registry if entry.metrics.get(m) is not None and self._supported(m))
            if names:
                groups[names][entry.name] = _bootstrap_input(entry.predictions)
        values: ResampledValues = {}
        settings = metric_settings(registry, evalset) if groups else None
        for names, group in groups.items():
            values |= bootstrap_entries(self.name, list(names), evalset.y, group, resampler,
                                        n_classes=evalset.n_classes, progress=progress, settings=settings)
        from evalkit.tasks.classification.decisions import reselect_in_bootstrap

        reselect_in_bootstrap(entries, evalset, resampler, values)
        return values

    def restricted_values(self, best: Entry, items: np.ndarray, names: list[str], evalset: EvalSet,
                          registry: Mapping[str, MetricSpec],
                          resampler: Resampler) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        from evalkit.tasks.classification.bootstrap import bootstrap_entries, weighted_metric_values
        from evalkit.tasks.classification.configured import metric_settings

        preds = best.predictions
        assert preds is not None
        labels = None if preds.labels is None else preds.labels[items]
        scores = None if preds.scores is None else preds.scores[items]
        ones = np.ones(len(items), dtype=np.int32)
        settings = metric_settings(registry, evalset)
        arrays = bootstrap_entries(self.name, names, evalset.y, {best.name: (labels, scores, items, ones)},
                                   resampler, n_classes=evalset.n_classes, settings=settings)[best.name]
        point = weighted_metric_values(self.name, names, evalset.y[items], labels, scores, ones,
                                       n_classes=evalset.n_classes,
                                       settings=None if settings is None else settings.rows(items))
        return arrays, {m: float(v[0]) for m, v in point.items()}

    def _supported(self, name: str) -> bool:
        from evalkit.tasks.classification.catalog import CONFIGURED, METRICS
        from evalkit.tasks.classification.class_metrics import parse

        per_class = not self.binary and parse(name) is not None
        return name in METRICS[self.name] or name in CONFIGURED or per_class

    def interval_aids(self, metric: str, y_rows: np.ndarray, labels: np.ndarray | None,
                      n_classes: int) -> tuple[ProportionCounts | None, tuple[str, RankCounts] | None]:
        from evalkit.tasks.classification.catalog import metric_spec
        from evalkit.tasks.classification.intervals import proportion_counts, rank_counts

        if not self._supported(metric):
            return None, None
        counts = (proportion_counts(self.name, metric, y_rows, labels, n_classes=n_classes)
                  if labels is not None and metric_spec(self.name, metric).proportion is not None else None)
        return counts, rank_counts(self.name, metric, y_rows)

    def interval_notes(self, evalset: EvalSet,
                       intervals: Mapping[str, Mapping[str, list[float]]]) -> list[str]:
        """Say so when intervals of positive-class metrics rest on fewer than 10 positives."""
        if not self.binary:
            return []
        positives = int(np.count_nonzero(evalset.y == 1))
        affected = sorted({m for own in intervals.values() for m in own if m in POSITIVE_CLASS_METRICS},
                          key=POSITIVE_CLASS_METRICS.index)
        if positives >= FEW_POSITIVES or not affected:
            return []
        return [f"the intervals of {', '.join(affected)} rest on only {positives} positive item(s) (fewer "
                f"than {FEW_POSITIVES}): they are rough, and their coverage can fall short of the stated "
                "level"]

    # --- curves -------------------------------------------------------------------------------

    def _threshold_target(self, entry: Entry, evalset: EvalSet) -> Target | None:
        """What the entry's operating point thresholds (binary scores, or one class against the rest),
        or None when it was judged at no operating point."""
        from evalkit.tasks.classification.decisions import BINARY_TARGET, Target

        point = entry.details.get("operating_point")
        if not isinstance(point, dict):
            return None
        if self.binary:
            return BINARY_TARGET
        names = [str(c) for c in evalset.classes]
        cls = point.get("class")
        return Target(names.index(str(cls)), str(cls)) if cls is not None and str(cls) in names else None
    def curve_record(self, entries: Iterable[Entry], evalset: EvalSet, *, registry: Mapping[str, MetricSpec],
                     max_points: int) -> dict[str, Any]:
        from evalkit.curves import FORMAT, prediction_curves
        from evalkit.tasks.classification.configured import calibration_binning, reliability_record
        from evalkit.tasks.classification.item_groups import collapsed_predictions

        classes = self.curve_classes(evalset)
        binning = calibration_binning(registry)
        data: dict[str, Any] = {}
        for entry in entries:
            if entry.predictions is None:
                continue
            # The distinct rows, weighted, have the same thresholds and counts, hence the same curves.
            rows = collapsed_predictions(entry.predictions, entry.predictions.truth(evalset))
            curves = prediction_curves(rows, evalset, classes, max_points=max_points)
            data[entry.name] = {"role": entry.role, "kind": entry.kind, **curves}
            target = self._threshold_target(entry, evalset)
            if target is not None and entry.predictions.scores is not None \
                    and entry.predictions.item_index is None:
                from evalkit.tasks.classification.decisions import entry_threshold_curve

                data[entry.name]["threshold_curve"] = entry_threshold_curve(
                    entry.predictions.scores, evalset, registry, target, max_points=max_points)
            if binning is not None and entry.predictions.scores is not None:
                data[entry.name]["reliability"] = reliability_record(entry.predictions, evalset, binning)
        record = {"format": FORMAT, "task": self.name, "classes": list(evalset.classes),
                  "curve_classes": [name for _, name in classes], "entries": data}
        if binning is not None:
            forecast = "positive-class score" if self.binary else "top-label confidence"
            record["reliability"] = binning.describe() | {"forecast": forecast}
        return record

    def curve_classes(self, evalset: EvalSet) -> list[tuple[int, str]]:
        """Binary: the positive class only (code 1); multiclass: every class, one-vs-rest."""
        if self.binary:
            return [(1, evalset.classes[1])]
        return list(enumerate(evalset.classes))


def _multiplicity(weight: np.ndarray) -> np.ndarray:
    """Integer row counts proportional to fractional row weights (1/t for a t-way tie).

    Ratio metrics do not change when every weight is scaled, so scaling by the least common
    multiple of the denominators gives exact integer counts for the bootstrap.
    """
    denominators = np.rint(1.0 / weight).astype(np.int64)
    if not np.allclose(1.0 / denominators, weight):
        raise ValueError("row weights must be reciprocals of integers")
    scale = math.lcm(*np.unique(denominators).tolist())
    return (scale // denominators).astype(np.int32)


def _bootstrap_input(predictions: Predictions) -> tuple[np.ndarray | None, ...]:
    if predictions.item_index is None:
        return (predictions.labels, predictions.scores)
    weight = predictions.weight if predictions.weight is not None else np.ones(len(predictions.item_index))
    return (predictions.labels, predictions.scores, predictions.item_index, _multiplicity(weight))


BINARY = ClassificationTask("binary", binary=True)
MULTICLASS = ClassificationTask("multiclass", binary=False)

__all__ = ["BINARY", "MULTICLASS", "ClassificationTask"]
