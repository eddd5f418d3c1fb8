"""Computing every applicable metric of an entry from its predictions."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from evalkit.detection.stats import DetectionStats
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions

# Why a COCO number is undefined: COCOeval reports -1 when no counted (non-crowd) object is in its range.
_NO_OBJECT = "undefined: the truth has no {} object (not crowd) in the evaluated images"
UNDEFINED_DETECTION = {name: _NO_OBJECT.format(size) for names, size in (
    (("APs", "ARs"), "small (area < 32²)"), (("APm", "ARm"), "medium (32² to 96²)"),
    (("APl", "ARl"), "large (area > 96²)")) for name in names}


@dataclass
class MetricValues:
    """Metric values (None where not computable) and, for each None, the reason."""

    values: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def compute_metrics(registry: Mapping[str, MetricSpec], evalset: EvalSet,
                    predictions: Predictions) -> MetricValues:
    """Every computable metric in ``registry`` for ``predictions``, as the eval set's task computes them."""
    from evalkit.tasks import get_task  # the registry; tasks build on this module

    return get_task(evalset.task).compute_metrics(registry, evalset, predictions)


def label_score_metrics(registry: Mapping[str, MetricSpec], evalset: EvalSet,
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


def detection_metrics(registry: Mapping[str, MetricSpec], stats: DetectionStats) -> MetricValues:
    """The COCO numbers in ``registry``; -1 (no counted ground truth in that range) is null, with why."""
    result = MetricValues()
    for name, value in stats.as_dict().items():
        if name not in registry:
            continue
        if value >= 0:
            result.values[name] = value
        else:
            result.values[name] = None
            result.notes[name] = UNDEFINED_DETECTION.get(name, "undefined: no ground truth to score against")
    return result


def _undefined_reason(name: str, y_true: np.ndarray, predictions: Predictions) -> str:
    labels = predictions.labels
    if y_true.ndim == 2 and not np.any(y_true == 1):
        return "undefined: no scored item has any true label"
    if name.startswith("precision") and labels is not None and not np.any(labels == 1):
        return "undefined: the entry predicts no positive item"
    if len(np.unique(y_true)) < 2:
        return "undefined: the scored items have a single class"
    return "undefined for this entry (division by zero)"
