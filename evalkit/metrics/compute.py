"""Computing every applicable metric of an entry from its predictions."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from evalkit.evalset import EvalSet
from evalkit.metrics import multilabel as ml
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions


@dataclass
class MetricValues:
    """Metric values (None where not computable) and, for each None, the reason."""

    values: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def compute_metrics(registry: Mapping[str, MetricSpec], evalset: EvalSet,
                    predictions: Predictions) -> MetricValues:
    """Every label- and score-based metric in ``registry`` for ``predictions`` against the truth."""
    result = MetricValues()
    y_true = predictions.truth(evalset)
    for spec in registry.values():
        if spec.fn is None:
            continue
        given = predictions.labels if spec.needs == "labels" else predictions.scores
        if given is None:
            result.values[spec.name] = None
            result.notes[spec.name] = f"needs {spec.needs}; this entry gives labels only"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = spec.fn(y_true, given, n_classes=evalset.n_classes, sample_weight=predictions.weight)
        if np.isfinite(value):
            result.values[spec.name] = value
        else:
            result.values[spec.name] = None
            result.notes[spec.name] = _undefined_reason(spec.name, y_true, predictions)
    return result


def per_class_details(evalset: EvalSet, predictions: Predictions) -> dict[str, object]:
    """Multilabel: each label's average precision by name, and the labels ``map`` leaves out.

    A label with no positive among the scored items has no AP (null), never 0 or -1; it is listed under
    ``excluded_labels``. Empty when the entry gives no scores.
    """
    if predictions.scores is None:
        return {}
    y_true = predictions.truth(evalset)
    ap = ml.per_label_ap(y_true, predictions.scores, sample_weight=predictions.weight)
    excluded = ml.excluded_labels(y_true, sample_weight=predictions.weight)
    return {"per_class": {evalset.classes[j]: value for j, value in ap.items()},
            "excluded_labels": [evalset.classes[j] for j in excluded]}


def _undefined_reason(name: str, y_true: np.ndarray, predictions: Predictions) -> str:
    labels = predictions.labels
    if y_true.ndim == 2 and not np.any(y_true == 1):
        return "undefined: no scored item has any true label"
    if name.startswith("precision") and labels is not None and not np.any(labels == 1):
        return "undefined: the entry predicts no positive item"
    if len(np.unique(y_true)) < 2:
        return "undefined: the scored items have a single class"
    return "undefined for this entry (division by zero)"
