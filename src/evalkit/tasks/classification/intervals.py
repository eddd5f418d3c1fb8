"""Interval aids of the classification tasks: the counts behind proportions and ranking metrics.

:func:`evalkit.uncertainty.intervals.metric_interval` falls back to Wilson or score intervals when a
bootstrap cannot vary; which metrics are proportions of which counts is the task's knowledge, here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from evalkit.tasks.classification.bootstrap import weighted_metric_values
from evalkit.tasks.classification.catalog import metric_spec, validate
from evalkit.tasks.classification.confusion import confusion_matrices
from evalkit.uncertainty.intervals import Interval, ProportionCounts, RankCounts, metric_interval


def proportion_counts(
    task: str,
    metric: str,
    y_true: np.ndarray,
    labels: np.ndarray,
    *,
    n_classes: int | None = None,
) -> ProportionCounts | None:
    """The counts behind proportion metric ``metric`` on the full data; None for other metrics."""
    spec = metric_spec(task, metric)
    if spec.proportion is None:
        return None
    data = validate(task, [metric], y_true, labels, None, n_classes)
    k = data.n_classes
    cm = confusion_matrices(k * data.y_true + data.labels, k, np.ones((1, data.n_items), dtype=np.int32))[0]
    tp = np.diag(cm)
    true = cm.sum(axis=1)
    pred = cm.sum(axis=0)
    one = np.ones(1)
    if metric == "accuracy":
        return ProportionCounts(tp.sum() * one, cm.sum() * one, one)
    if task == "binary" and metric in ("precision", "recall", "f1"):
        trials = {"precision": pred[1], "recall": true[1], "f1": (true[1] + pred[1]) / 2}[metric]
        return ProportionCounts(tp[1] * one, trials * one, one)
    equal = np.ones(k)
    if metric in ("balanced_accuracy", "recall_macro"):
        return ProportionCounts(tp, true, equal)
    if metric == "precision_macro":
        return ProportionCounts(tp, pred, equal)
    # f1 per class in its Dice form: tp / (tp + (fp + fn) / 2) = 2 tp / (true + pred).
    return ProportionCounts(tp, (true + pred) / 2, equal if metric == "f1_macro" else true)


def metric_intervals(
    task: str,
    y_true: np.ndarray,
    labels: np.ndarray | None,
    scores: np.ndarray | None,
    values: Mapping[str, np.ndarray],
    level: float,
    *,
    n_classes: int | None = None,
) -> dict[str, Interval]:
    """Intervals for one entry: estimates on the full data, percentile or Wilson bounds.

    ``values`` is the output of :func:`~evalkit.tasks.classification.bootstrap.bootstrap_metric_values`
    for the same entry; its keys are the metrics.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0, 1, 1]); lab = y.copy()
    >>> values = {"accuracy": np.ones(100)}
    >>> iv = metric_intervals("binary", y, lab, None, values, 0.95)["accuracy"]
    >>> iv.method, iv.estimate, round(iv.lower, 3), iv.upper
    ('wilson', 1.0, 0.61, 1.0)
    """
    names = list(values)
    n = np.asarray(y_true).shape[0]
    estimates = weighted_metric_values(
        task, names, y_true, labels, scores, np.ones(n, dtype=np.int32), n_classes=n_classes
    )
    out = {}
    for name in names:
        counts = None
        if metric_spec(task, name).proportion is not None:
            counts = proportion_counts(task, name, y_true, labels, n_classes=n_classes)
        out[name] = metric_interval(values[name], level, estimate=float(estimates[name][0]), counts=counts,
                                    ranking=rank_counts(task, name, y_true))
    return out


def rank_counts(task: str, metric: str, y_true: np.ndarray) -> tuple[str, RankCounts] | None:
    """``(metric, RankCounts)`` for a binary ranking metric, the ``ranking`` of :func:`metric_interval`."""
    if task != "binary" or metric not in ("roc_auc", "average_precision"):
        return None
    positives = int(np.count_nonzero(np.asarray(y_true) == 1))
    return metric, RankCounts(positives, int(np.asarray(y_true).shape[0]) - positives)
