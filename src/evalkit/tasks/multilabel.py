"""The multilabel task: a set of labels per item (see :mod:`evalkit.multilabel_data` for the files).

Labels and scores are ``(n_items, n_labels)`` matrices; metrics are evalkit's weighted functions
(:mod:`evalkit.metrics.multilabel`); the bootstrap evaluates whole blocks of resamples with the same
definitions (:mod:`evalkit.metrics.multilabel_resampled`; only the strategy's metrics are resampled).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit import multilabel_data
from evalkit.config import DataConfig, RunConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics import multilabel as ml
from evalkit.metrics import registry as metric_specs
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.tasks.base import ResampledValues, Task
from evalkit.uncertainty.resampling import Resampler


class MultilabelTask(Task):
    name = "multilabel"
    headline_metric = "map"
    map_metric = "map"
    label_sets = True
    # Label review takes each label's column as a binary problem (evalkit/label_review/per_label.py).
    reviews_labels = True
    reviews_per_label = True
    figures = ("pr_curves", "roc_curves", "confusion", "per_class_ap")

    def check_experiment(self, cfg: RunConfig) -> None:
        multilabel_data.check_experiment(cfg)

    def class_probabilities(self, predictions: Predictions, evalset: EvalSet) -> np.ndarray | None:
        """Each label's probability, (items, labels); None for labels only or a subset of the items."""
        if predictions.scores is None or predictions.item_index is not None:
            return None
        return np.asarray(predictions.scores, dtype=np.float64)

    def metrics(self, cfg: RunConfig | None = None) -> dict[str, MetricSpec]:
        return dict(metric_specs.MULTILABEL)

    def load_evalset(self, data: DataConfig, *, truth_path: Path | None, train_path: Path | None) -> EvalSet:
        return multilabel_data.load_evalset(data, truth_path=truth_path, train_path=train_path)

    def predictions_from_table(self, table: pd.DataFrame, evalset: EvalSet, *, source: str,
                               id_column: str = "id") -> Predictions:
        return multilabel_data.predictions_from_table(table, evalset, source=source, id_column=id_column)

    def predictions_from_output(self, output: object, evalset: EvalSet, *, source: str) -> Predictions:
        return multilabel_data.predictions_from_output(output, evalset, source=source)

    def fit_predict(self, estimator: Any, evalset: EvalSet, X_train: pd.DataFrame, y_train: np.ndarray,
                    X_eval: pd.DataFrame) -> Predictions:
        estimator.fit(X_train, y_train)
        labels = np.asarray(estimator.predict(X_eval)).astype(np.int64)
        scores = None
        if hasattr(estimator, "predict_proba"):
            scores = multilabel_data.scores_from_proba(
                estimator.predict_proba(X_eval), getattr(estimator, "classes_", None), n_items=len(X_eval),
                n_labels=evalset.n_classes)
        return Predictions(labels=labels, scores=scores)

    def estimator_hint(self) -> str:
        return ("; for task multilabel use an estimator that accepts a label matrix, e.g. "
                "sklearn.multioutput.MultiOutputClassifier")

    def check_fitted(self, predictions: Predictions, evalset: EvalSet, *, where: str) -> None:
        assert predictions.labels is not None
        multilabel_data.check_predicted_labels(predictions.labels, evalset, where=where)

    def entry_details(self, evalset: EvalSet, predictions: Predictions) -> dict[str, object]:
        """Per-label AP by name. A label with no positive among the scored items has no AP (null), never
        0 or -1; it is listed under ``excluded_labels``. Empty when the entry gives no scores."""
        if predictions.scores is None:
            return {}
        y_true = predictions.truth(evalset)
        ap = ml.per_label_ap(y_true, predictions.scores, sample_weight=predictions.weight)
        excluded = ml.excluded_labels(y_true, sample_weight=predictions.weight)
        return {"per_class": {evalset.classes[j]: value for j, value in ap.items()},
                "excluded_labels": [evalset.classes[j] for j in excluded]}

    def fingerprint(self, evalset: EvalSet) -> str:
        return multilabel_data.fingerprint(evalset)

    item_error_name = "share of labels wrong (its mean is hamming_loss)"

    def item_errors(self, evalset: EvalSet, predictions: Predictions) -> np.ndarray | None:
        """The share of labels each item gets wrong (its mean is the Hamming loss)."""
        if predictions.labels is None or predictions.item_index is not None:
            return None
        return (np.asarray(predictions.labels) != np.asarray(evalset.y)).mean(axis=1).astype(np.float64)

    def data_summary(self, evalset: EvalSet) -> dict[str, Any]:
        positives = dict(zip(evalset.classes, evalset.y.sum(axis=0).tolist(), strict=True))
        # Left out of map (never counted as 0); the report says how many.
        return {"label_positives": positives,
                "labels_without_positives": [c for c, n in positives.items() if n == 0]}

    def resampled_values(self, entries: Iterable[Entry], evalset: EvalSet,
                         registry: Mapping[str, MetricSpec], strategy_metrics: Iterable[str],
                         resampler: Resampler, *, progress: bool | None = None) -> ResampledValues:
        wanted = tuple(strategy_metrics)
        values: ResampledValues = {}
        for entry in entries:
            if entry.predictions is None:
                continue
            names = tuple(m for m in wanted
                          if registry[m].fn is not None and entry.metrics.get(m) is not None)
            if names:
                values[entry.name] = per_resample(entry.predictions, names, evalset, registry, resampler)
        return values

    def restricted_values(self, best: Entry, items: np.ndarray, names: list[str], evalset: EvalSet,
                          registry: Mapping[str, MetricSpec],
                          resampler: Resampler) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        from evalkit.metrics.compute import compute_metrics

        preds = best.predictions
        assert preds is not None
        sub = self.restrict(preds, evalset, items)
        arrays = per_resample(sub, tuple(names), evalset, registry, resampler)
        point = compute_metrics({m: registry[m] for m in names}, evalset, sub).values
        estimates = {m: float(v) for m, v in point.items() if v is not None}
        return {m: arrays[m] for m in estimates}, estimates


def per_resample(preds: Predictions, names: tuple[str, ...], evalset: EvalSet,
                 registry: Mapping[str, MetricSpec], resampler: Resampler) -> dict[str, np.ndarray]:
    """Metric values per resample, a block at a time (:mod:`evalkit.metrics.multilabel_resampled`).

    Each value equals evalkit's weighted metric function (and scikit-learn on the expanded resample) with
    that resample's item weights. Rows that stand for weighted pseudo-items (a human panel's subset, a
    vote's settled ties) take their item's weight times their own.
    """
    from evalkit.metrics.multilabel_resampled import MultilabelPlan

    y_rows = preds.truth(evalset)
    plan = MultilabelPlan(names, y_rows, labels=preds.labels, scores=preds.scores)
    out = {m: np.empty(resampler.resamples) for m in names}
    for start, block in resampler.blocks(compact=True, prefetch=True):
        weights = block if preds.item_index is None else block[:, preds.item_index]
        if preds.weight is not None:
            weights = weights * preds.weight
        for metric, values in plan.values(weights).items():
            out[metric][start : start + block.shape[0]] = values
    return out


MULTILABEL = MultilabelTask()
