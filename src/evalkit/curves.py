"""Per-entry curve data for the figures: PR and ROC points, and confusion matrices. Pure; no files.

A run saves this data (``curves.json``) beside ``metrics.json`` so that ``evalkit plot`` can redraw
every figure later without the predictions or the models. The document is small on purpose:

- curves are downsampled deterministically to at most ``max_points`` points, evenly along the curve's
  path, so a 100 000-item eval set costs the same few kilobytes as the demo;
- numbers are rounded to ``DIGITS`` significant decimals, so reruns write identical bytes.

Binary tasks get one curve pair, for the positive class; multiclass tasks get one-vs-rest curves
per class; detection gets COCO's precision–recall curves at IoU 0.50 and 0.75 (``curve_classes``
``IoU=0.50``, ``IoU=0.75``; no ROC, since detection has no true negatives). Entries that give labels
only get a confusion matrix and no curves; entries without predictions (external numbers, the
mean-annotator row) get nothing.

Format (``format: 1``)::

    {"format": 1, "task": "binary", "classes": ["benign", "malignant"], "curve_classes": ["malignant"],
     "entries": {"logreg": {"role": "candidate", "kind": "estimator",
                            "confusion": [[89, 1], [2, 51]],          # rows: truth, columns: predicted
                            "curves": {"malignant": {"roc": {"fpr": [...], "tpr": [...], "auc": 0.99},
                                                     "pr": {"recall": [...], "precision": [...],
                                                            "ap": 0.99, "prevalence": 0.37}}}}}}
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from sklearn import metrics as skm

from evalkit.detection.params import IOU_THRESHOLDS, RECALL_THRESHOLDS
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions

FORMAT = 1
MAX_POINTS = 200
DIGITS = 6


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points, evenly spaced along the curve's path, keeping both ends.

    Spacing along the path (not by index) keeps the shape where the curve turns, even when most of
    the thresholds sit on a flat stretch.

    >>> x, y = downsample(np.linspace(0, 1, 1001), np.linspace(0, 1, 1001), 11)
    >>> len(x), float(x[0]), float(x[-1])
    (11, 0.0, 1.0)
    """
    if len(x) <= max_points:
        return x, y
    steps = np.abs(np.diff(x)) + np.abs(np.diff(y))
    path = np.concatenate([[0.0], np.cumsum(steps)])
    targets = np.linspace(0.0, path[-1], max_points)
    keep = np.unique(np.concatenate([[0, len(x) - 1], np.searchsorted(path, targets).clip(0, len(x) - 1)]))
    return x[keep], y[keep]


def _rounded(values: Iterable[float]) -> list[float]:
    return [round(float(v), DIGITS) for v in values]


def roc_points(y_true: np.ndarray, scores: np.ndarray, *, sample_weight: np.ndarray | None = None,
               max_points: int = MAX_POINTS) -> dict[str, Any]:
    """ROC curve (false- and true-positive rates) and its area, for 0/1 truth and positive-class scores."""
    fpr, tpr, _ = skm.roc_curve(y_true, scores, sample_weight=sample_weight)
    auc = skm.roc_auc_score(y_true, scores, sample_weight=sample_weight)
    fpr, tpr = downsample(fpr, tpr, max_points)
    return {"fpr": _rounded(fpr), "tpr": _rounded(tpr), "auc": round(float(auc), DIGITS)}


def pr_points(y_true: np.ndarray, scores: np.ndarray, *, sample_weight: np.ndarray | None = None,
              max_points: int = MAX_POINTS) -> dict[str, Any]:
    """Precision-recall curve (recall increasing), average precision and the positive share.

    The positive share (prevalence) is the precision of a random ranking: the figure's no-skill line.
    """
    precision, recall, _ = skm.precision_recall_curve(y_true, scores, sample_weight=sample_weight)
    ap = skm.average_precision_score(y_true, scores, sample_weight=sample_weight)
    weight = np.ones(len(y_true)) if sample_weight is None else sample_weight
    prevalence = float(np.sum(weight * (y_true == 1)) / np.sum(weight))
    recall, precision = downsample(recall[::-1], precision[::-1], max_points)
    return {"recall": _rounded(recall), "precision": _rounded(precision), "ap": round(float(ap), DIGITS),
            "prevalence": round(prevalence, DIGITS)}


def confusion(y_true: np.ndarray, labels: np.ndarray, n_classes: int, *,
              sample_weight: np.ndarray | None = None) -> list[list[float]]:
    """Counts (weighted: a tied majority vote splits an item) with rows = truth, columns = predicted.

    >>> confusion(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    [[1, 0], [1, 1]]
    """
    weight = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    matrix = np.zeros((n_classes, n_classes))
    np.add.at(matrix, (y_true, labels), weight)
    # Whole counts stay integers in the file and on the figure; split votes keep their fractions.
    return [[int(v) if float(v).is_integer() else round(float(v), DIGITS) for v in row] for row in matrix]


def prediction_curves(predictions: Predictions, evalset: EvalSet, curve_classes: list[tuple[int, str]], *,
                      max_points: int = MAX_POINTS) -> dict[str, Any]:
    """One entry's confusion matrix (when it gives labels) and curves (when it gives scores).

    A class whose one-vs-rest truth has a single value (absent from the scored items) has no curve;
    ``skipped`` names it with the reason.
    """
    y_true = predictions.truth(evalset)
    weight = predictions.weight
    out: dict[str, Any] = {}
    if predictions.labels is not None:
        out["confusion"] = confusion(y_true, predictions.labels, evalset.n_classes, sample_weight=weight)
    if predictions.scores is None:
        return out
    curves: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for code, name in curve_classes:
        positive = (y_true == code).astype(np.int64)
        scores = predictions.scores if predictions.scores.ndim == 1 else predictions.scores[:, code]
        if positive.min() == positive.max():
            skipped[name] = "the scored items hold only one side of this class, so no curve exists"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn warns about degenerate thresholds; the data says it all
            curves[name] = {"roc": roc_points(positive, scores, sample_weight=weight, max_points=max_points),
                            "pr": pr_points(positive, scores, sample_weight=weight, max_points=max_points)}
    out["curves"] = curves
    if skipped:
        out["skipped"] = skipped
    return out


def curve_record(entries: Iterable[Entry], evalset: EvalSet, *,
                 registry: Mapping[str, MetricSpec] | None = None,
                 max_points: int = MAX_POINTS) -> dict[str, Any]:
    """The ``curves.json`` document for a run: every entry that has predictions, as its task draws them.

    A task without curves gets a document without entries and a ``note``, so its curve figures are
    skipped, saying why.
    """
    from evalkit.tasks import get_task  # the registry; tasks build on this module

    return get_task(evalset.task).curve_record(entries, evalset, registry=registry or {},
                                               max_points=max_points)


DETECTION_CURVE_IOUS = (0.5, 0.75)


def detection_pr_points(precision: np.ndarray, iou: float) -> dict[str, Any] | None:
    """COCO's precision–recall curve at one IoU threshold, averaged over categories (area all, 100 dets).

    ``precision`` is COCOeval's (T, 101, K, A) array. Categories without ground truth (-1) are left
    out, as in the AP; the mean of the 101 points is then exactly AP at that IoU. None when no
    category has ground truth.
    """
    at_iou = precision[int(np.flatnonzero(np.isclose(IOU_THRESHOLDS, iou))[0]), :, :, 0]  # (R, K)
    valid = at_iou[0] > -1
    if not valid.any():
        return None
    curve = at_iou[:, valid].mean(axis=1)
    return {"recall": _rounded(RECALL_THRESHOLDS), "precision": _rounded(curve),
            "ap": round(float(curve.mean()), DIGITS)}


def detection_curve_record(entries: Iterable[Entry], evalset: EvalSet) -> dict[str, Any]:
    """``curves.json`` for detection: each entry's precision–recall curves at IoU 0.50 and 0.75."""
    names = [f"IoU={iou:.2f}" for iou in DETECTION_CURVE_IOUS]
    data: dict[str, Any] = {}
    for entry in entries:
        detections = None if entry.predictions is None else entry.predictions.detections
        if detections is None:
            continue
        precision = detections.accumulated[0]
        points = {name: {"pr": pr} for name, iou in zip(names, DETECTION_CURVE_IOUS, strict=True)
                  if (pr := detection_pr_points(precision, iou)) is not None}
        data[entry.name] = {"role": entry.role, "kind": entry.kind, "curves": points,
                            "images": detections.prepared.n_images}
    return {"format": FORMAT, "task": "detection", "classes": list(evalset.classes), "curve_classes": names,
            "entries": data}
